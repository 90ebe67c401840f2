"""Paper cards typed in by the officer: stored like the collector's, under their own channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy.orm import Session

from cards.models import Card, Location
from cards.services import find_card
from portal.audit import record
from portal.deadlines import BERLIN
from portal.submissions import Rules, Stored, Submission, submit_feedback
from portal.vocab import Area, Channel, Kind

LANGUAGE = "de"  # the printed card is German


class CaptureError(ValueError):
    """A paper card that cannot be stored as typed; the message says why."""


@dataclass(frozen=True)
class PaperCard:
    """One paper card as typed in: a card code, or the location when the code is unreadable."""

    received_on: date
    card_code: str | None = None
    location_id: int | None = None
    rating: int | None = None
    kind: Kind | None = None
    area: Area | None = None
    text: str | None = None


def capture_paper_card(
    session: Session,
    entry: PaperCard,
    *,
    actor: str,
    now: datetime,
    rules: Rules,
    actor_id: int | None = None,
    action: str = "paper card captured",
    check_duplicates: bool = True,
) -> Stored:
    """Store a paper card through ``submit_feedback`` and write the audit event.

    Unlike the public collector, an unknown code is refused: the officer has the card in hand
    and can check the code or choose the location. A card's default area applies when no area
    was given. Received on ``now`` if the date is today (Europe/Berlin), else at noon that day.
    A duplicate (the same text from the same card within the window) is not stored again and
    gets no audit event; ``Stored.duplicate`` says so. Scanned cards skip that check
    (``check_duplicates``): a stack holds many cards of one code, and its file and page
    fingerprints keep them from being read twice.
    """
    today = now.astimezone(BERLIN).date()
    if entry.received_on > today:
        raise CaptureError("The date lies in the future.")
    if not entry.rating and not entry.text:
        raise CaptureError("The card is empty: it needs a rating or a text.")
    card: Card | None = None
    location: Location | None = None
    if entry.card_code:
        card = find_card(session, entry.card_code)
        if card is None:
            raise CaptureError(f"There is no card {entry.card_code}.")
        location = card.location
    elif entry.location_id is not None:
        location = session.get(Location, entry.location_id)
        if location is None:
            raise CaptureError(f"There is no location {entry.location_id}.")
    else:
        raise CaptureError("A paper card needs its code or its location.")

    received_at = now if entry.received_on == today else noon_in_berlin(entry.received_on)
    stored = submit_feedback(
        session,
        Submission(
            channel=Channel.CARD_PAPER,
            language=LANGUAGE,
            rating=entry.rating,
            kind=entry.kind,
            area=entry.area or (card.default_area if card else None),
            text=entry.text,
            card_code=card.code if card else None,
            location_id=None if card else location.id,
        ),
        now=received_at,
        rules=rules,
        check_duplicates=check_duplicates,
    )
    if not stored.duplicate:
        record(
            session,
            at=now,
            actor=actor,
            actor_id=actor_id,
            action=action,
            subject=f"card:{card.code}" if card else f"location:{location.code}",
            feedback_id=stored.feedback_id,
            changes={
                "card": card.code if card else None,
                "location": location.code,
                "received_on": entry.received_on.isoformat(),
            },
        )
    return stored


def noon_in_berlin(day: date) -> datetime:
    """12:00 office time on ``day``, in UTC: a date without a time, safely inside that day."""
    return datetime.combine(day, time(12), tzinfo=BERLIN).astimezone(UTC)
