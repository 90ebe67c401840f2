"""A large, realistic database for benchmarks: feedback rows with Anliegen, inserted in bulk.

Two years of reactions spread over locations, channels, ratings and statuses, with short German
texts from a small vocabulary, so full-text search and the report's groupings have work to do.
Deterministic for a given seed.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from admin.models import Concern, Team, Topic
from cards.models import Location
from portal.feedback import Feedback
from portal.vocab import Area, Assessment, Channel, ConcernKind, Kind, Status

WORDS = [
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
]
CHANNELS = list(Channel)
STATUSES = [Status.DONE] * 8 + [Status.NEW, Status.IN_PROGRESS]
BATCH = 20_000


def seed(session: Session, rows: int, *, start: datetime, days: int = 730, seed: int = 1) -> None:
    """Insert ``rows`` feedback rows received between ``start`` and ``start + days``."""
    rng = random.Random(seed)
    locations = _ensure(
        session, Location, [{"code": f"L{i}", "name": f"Dienststelle {i}"} for i in range(8)]
    )
    teams = _ensure(session, Team, [{"name": f"Bench-Team {i}", "active": True} for i in range(6)])
    topics = list(session.scalars(select(Topic.id)))
    next_id = (session.scalar(select(Feedback.id).order_by(Feedback.id.desc()).limit(1)) or 0) + 1
    span = days * 86_400
    for first in range(0, rows, BATCH):
        feedback, concerns = [], []
        for offset in range(min(BATCH, rows - first)):
            ident = next_id + first + offset
            received = start + timedelta(seconds=rng.randrange(span))
            status = rng.choice(STATUSES)
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
                    "text": " ".join(rng.choices(WORDS, k=rng.randint(4, 14))),
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
        session.execute(insert(Feedback), feedback)
        if concerns:
            session.execute(insert(Concern), concerns)
        session.commit()


def _ensure(session: Session, model, values: list[dict]) -> list[int]:
    ids = list(session.scalars(select(model.id)))
    if not ids:
        session.execute(insert(model), values)
        session.flush()
        ids = list(session.scalars(select(model.id)))
    return ids


DEFAULT_START = datetime(2025, 1, 1, tzinfo=UTC)
