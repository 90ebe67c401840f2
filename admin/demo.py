"""Demo data for a first look: one location, a few cards, feedback over the last days.

Besides the fresh entries in the inbox there is a worked-through history of the year before and of
this year, classified and closed, so the reports and the export have something to show.
"""

from __future__ import annotations

import random
from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from admin.accounts.models import Team, User
from admin.accounts.service import add_user
from admin.inbox.models import Concern, Topic
from admin.topics.service import add_named
from cards.codes import new_code
from cards.models import Card, Location
from cards.qr import card_url
from cards.services import list_cards
from portal import rollup
from portal.db import utcnow
from portal.extensions import db
from portal.feedback import Feedback
from portal.submissions import Submission, submit_feedback
from portal.vocab import Area, Assessment, Channel, ConcernKind, Kind, Role, Status

CARDS = (
    ("Empfang", None),
    ("Leistungsbereich Team 3", Area.BENEFITS),
    ("Arbeitsvermittlung", Area.PLACEMENT),
)

# (card index or None for the homepage, days ago, rating, kind, area, text)
FEEDBACK = (
    (0, 0, 5, Kind.PRAISE, Area.ORGANISATION, "Sehr freundlicher Empfang, kurze Wartezeit."),
    (
        1,
        1,
        2,
        Kind.CRITICISM,
        Area.BENEFITS,
        "Mein Weiterbewilligungsantrag liegt seit 6 Wochen. Bitte rufen Sie mich an: 0151 23456789",
    ),
    (
        None,
        1,
        4,
        Kind.SUGGESTION,
        Area.ORGANISATION,
        "Bitte mehr Termine am Nachmittag anbieten, z. B. bis 18 Uhr.",
    ),
    (
        2,
        2,
        5,
        Kind.PRAISE,
        Area.PLACEMENT,
        "Frau M. hat mir sehr geholfen, ich habe seit dem 1. März eine neue Stelle.",
    ),
    (
        None,
        3,
        1,
        Kind.CRITICISM,
        Area.ORGANISATION,
        "Telefonisch nie erreichbar, dreimal 30 Minuten in der Warteschleife.",
    ),
    (1, 4, 3, None, None, None),
    (0, 5, 4, Kind.SUGGESTION, Area.ORGANISATION, "Ein Wasserspender im Wartebereich wäre schön."),
    (
        None,
        6,
        2,
        Kind.CRITICISM,
        Area.MUNICIPAL,
        "Die Zustimmung zum Umzug dauert zu lange, die Wohnung ist jetzt weg.",
    ),
)


DEMO_PASSWORD = "meinungskarte-demo"  # noqa: S105  (demo only; `krm demo` refuses production)
# (name, role, team): one account per role, so every view of the admin area can be tried.
DEMO_USERS = (
    ("krm", Role.KRM, None),
    ("teamleitung", Role.TEAM, "Leistungsbereich Team 3"),
    ("bericht", Role.READ, None),
)
DEMO_TEAMS = ("Leistungsbereich Team 3", "Arbeitsvermittlung")


def load_demo_accounts(session: Session) -> bool:
    """Demo teams and one user per role with DEMO_PASSWORD, if there are no users yet."""
    if session.scalar(select(exists().where(User.id.isnot(None)))):
        return False
    now = utcnow()
    for name in DEMO_TEAMS:
        add_named(session, Team, name, actor="krm demo", now=now)
    session.flush()
    for name, role, team in DEMO_USERS:
        add_user(session, name, DEMO_PASSWORD, role, team=team, actor="krm demo", now=now)
    return True


def load_demo(session: Session) -> int:
    """Add the demo data if there is no feedback at all; return how many entries were added."""
    if session.scalar(select(exists().where(Feedback.id.isnot(None)))):
        return 0
    location = session.scalar(select(Location).where(Location.code == "HST"))
    if location is None:
        location = Location(code="HST", name="Hauptstelle Musterstadt")
        location.cards = [
            Card(code=new_code(), label=label, default_area=area) for label, area in CARDS
        ]
        session.add(location)
        session.flush()
    now = utcnow()
    team = session.scalar(select(Team).where(Team.name == DEMO_TEAMS[0]))
    for card_index, days_ago, rating, kind, area, text in FEEDBACK:
        card = location.cards[card_index] if card_index is not None else None
        stored = submit_feedback(
            session,
            Submission(
                channel=Channel.CARD_QR if card else Channel.HOMEPAGE,
                language="de",
                rating=rating,
                kind=kind,
                area=area,
                text=text,
                card_code=card.code if card else None,
            ),
            now=now - timedelta(days=days_ago, hours=card_index or 0),
        )
        if team is not None and area is Area.BENEFITS:
            session.get(Feedback, stored.feedback_id).team = team
    return len(FEEDBACK) + _load_history(session, location, now)


# The history: (channel, weight) roughly as a Jobcenter's reactions arrive, and what they are.
HISTORY_CHANNELS = (
    (Channel.CARD_QR, 30),
    (Channel.CARD_PAPER, 15),
    (Channel.HOMEPAGE, 25),
    (Channel.EMAIL, 15),
    (Channel.PHONE, 5),
    (Channel.SOCIAL_MEDIA, 10),
)
HISTORY_KINDS = ((Kind.PRAISE, ConcernKind.PRAISE), (Kind.SUGGESTION, ConcernKind.IDEA))
HISTORY_DAYS = (21, 420)  # received between three weeks and fourteen months ago
HISTORY_SIZE = 120


def _load_history(session: Session, location: Location, now) -> int:
    """Closed, classified reactions of the past months; the same every time (a fixed seed)."""
    rng = random.Random(2026)  # noqa: S311  (demo data, not a secret)
    topics = list(session.scalars(select(Topic).where(Topic.active.is_(True))))
    channels, weights = zip(*HISTORY_CHANNELS, strict=True)
    for _ in range(HISTORY_SIZE):
        received = now - timedelta(days=rng.uniform(*HISTORY_DAYS))
        channel = rng.choices(channels, weights)[0]
        rating = rng.choices((1, 2, 3, 4, 5), (2, 2, 2, 3, 3))[0]
        kind, concern_kind = (
            (Kind.CRITICISM, ConcernKind.COMPLAINT)
            if rating <= 2 or rng.random() < 0.2
            else rng.choice(HISTORY_KINDS)
        )
        card = rng.choice(location.cards) if channel is Channel.CARD_QR else None
        stored = submit_feedback(
            session,
            Submission(
                channel=channel,
                language="de",
                rating=rating,
                kind=kind,
                card_code=card.code if card else None,
                location_id=location.id if channel is Channel.CARD_PAPER else None,
            ),
            now=received,
        )
        feedback = session.get(Feedback, stored.feedback_id)
        before = rollup.of_entry(feedback)
        area = rng.choice(list(Area))
        feedback.concerns.append(
            Concern(
                position=1,
                kind=concern_kind,
                area=area,
                topic=rng.choice(topics) if topics else None,
                assessment=rng.choice(list(Assessment)[:2]) if concern_kind.is_complaint else None,
            )
        )
        feedback.status = Status.DONE
        feedback.closed_at = received + timedelta(days=rng.choice((2, 5, 9, 12, 13, 16)))
        feedback.updated_at = feedback.closed_at
        rollup.changed(session, feedback, before)
    return HISTORY_SIZE


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load demo data (a location, cards, feedback) if the database holds no feedback yet."""
    if current_app.config["ENV"] == "production":
        raise click.ClickException("Demo data (with known passwords) is refused in production.")
    accounts = load_demo_accounts(db.session)
    loaded = load_demo(db.session)
    db.session.commit()
    if loaded:
        click.echo(f"Demo data loaded: {loaded} feedback entries.")
    else:
        click.echo("The database already holds feedback; no demo data loaded.")
    for card in list_cards(db.session)[:3]:
        url = card_url(current_app.config["PUBLIC_BASE_URL"], card.code)
        click.echo(f"  Meinungskarte {card.location.name} / {card.label}: {url}")
    if accounts:
        names = ", ".join(name for name, _role, _team in DEMO_USERS)
        click.echo(f"Demo accounts created: {names}, each with the password {DEMO_PASSWORD!r}.")
