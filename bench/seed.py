"""A large, realistic database for benchmarks: feedback rows with Anliegen, inserted in bulk.

Batches of 20,000 rows go in as one executemany on SQLite and through ``COPY … FROM STDIN`` on
PostgreSQL (a multi-row INSERT there runs at a few hundred rows a second with ten indexes to keep;
COPY is the bulk path). Two years of reactions spread over locations, channels, ratings and
statuses, with short German texts from a small vocabulary, so full-text search and the report's
groupings have work to do. Ids grow with the time received, as they do when reactions arrive one
by one, except for a few back-dated ones (paper cards, Google reviews). Deterministic for a given
seed.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from admin.accounts.models import Team
from admin.inbox.models import Concern, Topic
from cards.models import Location
from portal import rollup, search_index
from portal.feedback import Feedback
from portal.vocab import Area, Assessment, Channel, ConcernKind, Kind, Status

# Short texts like the real ones: common German words, and content words whose frequency falls
# off like a natural language's (Zipf), so a search for a topic word finds a realistic share.
COMMON = [
    "ich",
    "die",
    "der",
    "und",
    "nicht",
    "ist",
    "das",
    "zu",
    "sehr",
    "mit",
    "es",
    "war",
    "mein",
    "wurde",
    "auf",
    "sie",
    "ein",
    "bei",
]
CONTENT = [
    "Wartezeit",
    "Termin",
    "Bescheid",
    "Antrag",
    "Beratung",
    "Telefon",
    "Empfang",
    "Unterlagen",
    "Miete",
    "Heizung",
    "freundlich",
    "kompetent",
    "unfreundlich",
    "schnell",
    "langsam",
    "Formular",
    "Online",
    "Brief",
    "Frist",
    "Rückruf",
    "Sachbearbeiter",
    "Vermittlung",
    "Bewerbung",
    "Maßnahme",
    "Kurs",
    "Weiterbildung",
    "Kinderzuschlag",
    "Umzug",
    "Kaution",
    "Nebenkosten",
    "Widerspruch",
    "Sanktion",
    "Einladung",
    "Meldetermin",
    "Jobangebot",
    "Praktikum",
    "Übersetzung",
    "Dolmetscher",
    "Barrierefreiheit",
    "Parkplatz",
    "Öffnungszeiten",
    "Hotline",
    "Postfach",
    "Upload",
    "Nachweis",
    "Kontoauszug",
    "Mietvertrag",
    "Zuständigkeit",
    "Wechsel",
    "Ansprechpartner",
    "Wartebereich",
    "Kaffee",
]
ZIPF = [1 / rank for rank in range(1, len(CONTENT) + 1)]
CHANNELS = list(Channel)
# An office that keeps up: most of the last three weeks is open, a few older ones are left.
RECENT = timedelta(days=21)
OPEN_SHARE = {True: 0.6, False: 0.005}
BATCH = 20_000
# Paper cards and Google reviews: entered up to four weeks after they were received.
BACKDATED_SHARE = 0.03
BACKDATED = timedelta(days=28)


def seed(session: Session, rows: int, *, end: datetime, days: int = 730, seed: int = 1) -> None:
    """Insert ``rows`` feedback rows received in the ``days`` before ``end``; rebuild the report
    roll-up from them."""
    start = end - timedelta(days=days)
    rng = random.Random(seed)
    locations = _ensure(
        session, Location, [{"code": f"L{i}", "name": f"Dienststelle {i}"} for i in range(8)]
    )
    teams = _ensure(session, Team, [{"name": f"Bench-Team {i}", "active": True} for i in range(6)])
    topics = list(session.scalars(select(Topic.id)))
    next_id = (session.scalar(select(Feedback.id).order_by(Feedback.id.desc()).limit(1)) or 0) + 1
    # Ids grow with arrival: the moments are sorted, and a few entries are typed in later than
    # they were received (paper cards from the box, imported Google reviews).
    moments = sorted(rng.randrange(days * 86_400) for _ in range(rows))
    for first in range(0, rows, BATCH):
        feedback, concerns = [], []
        for offset in range(min(BATCH, rows - first)):
            ident = next_id + first + offset
            received = start + timedelta(seconds=moments[first + offset])
            if rng.random() < BACKDATED_SHARE:
                received -= timedelta(seconds=rng.randrange(BACKDATED.days * 86_400))
            if rng.random() < OPEN_SHARE[end - received < RECENT]:
                status = rng.choice((Status.NEW, Status.IN_PROGRESS))
            else:
                status = Status.SPAM if rng.random() < 0.02 else Status.DONE
            closed = (
                received + timedelta(days=rng.randrange(1, 20)) if status is Status.DONE else None
            )
            feedback.append(
                {
                    "id": ident,
                    "received_at": received,
                    "channel": rng.choice(CHANNELS),
                    "location_id": rng.choice(locations),
                    "language": "de",
                    "rating": rng.randint(1, 5),
                    "kind": rng.choice(list(Kind)),
                    "text": _text(rng),
                    "text_masked": False,
                    "status": status,
                    "team_id": rng.choice(teams) if rng.random() < 0.7 else None,
                    "ombudsstelle": rng.random() < 0.02,
                    "close_by": received + timedelta(days=14),
                    "closed_at": closed,
                    "updated_at": closed or received,
                }
            )
            if status is Status.DONE:
                for position in range(1, rng.choice((1, 1, 1, 2, 3)) + 1):
                    kind = rng.choice(list(ConcernKind))
                    concerns.append(
                        {
                            "feedback_id": ident,
                            "position": position,
                            "kind": kind,
                            "area": rng.choice(list(Area)),
                            "topic_id": rng.choice(topics) if topics else None,
                            "assessment": rng.choice(list(Assessment))
                            if kind.is_complaint
                            else None,
                        }
                    )
        bulk_insert(session, Feedback, feedback)
        bulk_insert(session, Concern, concerns)
        session.commit()
    if session.get_bind().dialect.name == "postgresql":  # explicit ids leave the sequence behind
        session.execute(
            text("SELECT setval(pg_get_serial_sequence('feedback', 'id'), max(id)) FROM feedback")
        )
        session.commit()
    rollup.rebuild(session)  # a bulk load past the services: what `krm report rebuild` does
    search_index.catch_up(session)
    session.commit()


def bulk_insert(session: Session, model, rows: list[dict]) -> None:
    """Insert many rows at once: COPY on PostgreSQL, an executemany elsewhere."""
    if not rows:
        return
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        session.execute(insert(model), rows)
        return
    columns = [model.__table__.c[name] for name in rows[0]]
    # The columns' own bind processing (enum values, UTC datetimes), as an INSERT would apply.
    processors = [column.type._cached_bind_processor(dialect) for column in columns]
    names = ", ".join(column.name for column in columns)
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY {model.__tablename__} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(
                [
                    value if process is None or value is None else process(value)
                    for process, value in zip(processors, row.values(), strict=True)
                ]
            )


def _text(rng: random.Random) -> str:
    words = rng.choices(COMMON, k=rng.randint(3, 8))
    words += rng.choices(CONTENT, weights=ZIPF, k=rng.randint(1, 4))
    rng.shuffle(words)
    return " ".join(words)


def _ensure(session: Session, model, values: list[dict]) -> list[int]:
    ids = list(session.scalars(select(model.id)))
    if not ids:
        session.execute(insert(model), values)
        session.flush()
        ids = list(session.scalars(select(model.id)))
    return ids


# The benchmarks' "now": two years of data end here.
DEFAULT_END = datetime(2027, 1, 10, tzinfo=UTC)
