"""Storing feedback: the one service behind the collector, the paper capture and the demo data."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.orm import Session

from cards.codes import normalize as normalize_code
from cards.models import Card
from portal import rollup
from portal.deadlines import deadlines_for
from portal.direct import Direct
from portal.feedback import Feedback
from portal.mail.outbox import enqueue
from portal.mail.smtp import MailConfig
from portal.privacy import mask_personal_data
from portal.text import fingerprint_text
from portal.vocab import Area, Channel, Kind, MailKind

_FEEDBACK = Feedback.__table__
_CARD = Card.__table__
# Core statements built once: executing them with fresh parameters skips building the statement
# and walking its values for the cache key on every submission (the collector's hot path).
_FIND_CARD = select(_CARD.c.id, _CARD.c.location_id).where(_CARD.c.code == bindparam("code"))
_EARLIER_DUPLICATE = (
    select(_FEEDBACK.c.id)
    .where(_FEEDBACK.c.duplicate_key == bindparam("key"))
    .where(_FEEDBACK.c.received_at >= bindparam("since"))
    .limit(1)
)
_INSERT_FEEDBACK = insert(_FEEDBACK).returning(_FEEDBACK.c.id)
_ACKNOWLEDGED_TO = (
    select(func.count())
    .select_from(_FEEDBACK)
    .where(_FEEDBACK.c.received_at >= bindparam("since"))
    .where(_FEEDBACK.c.contact_email == bindparam("email"))
)


@dataclass(frozen=True)
class Submission:
    """What a person gave us, already validated; ``text`` is cleaned but not yet masked."""

    channel: Channel
    language: str
    rating: int | None = None
    kind: Kind | None = None
    area: Area | None = None
    text: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    card_code: str | None = None
    # Paper cards without a readable code can still be attributed to the location they came from.
    location_id: int | None = None
    # Names known to be the writer's (a Google reviewer's): masked in the text too.
    writer_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rules:
    """The installation's settings a submission is stored under."""

    state: str = "RP"
    triage_working_days: int = 5
    duplicate_window: timedelta = timedelta(hours=24)
    # Mail is set up: a person who left an e-mail address gets the Eingangsbestätigung.
    acknowledge_by_mail: bool = False
    # No more acknowledgements than this to one address in the duplicate window: the form must
    # not become a way to flood someone else's mailbox.
    acknowledgements_per_address: int = 3

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Rules:
        return cls(
            state=config["STATE"],
            triage_working_days=int(config["TRIAGE_WORKING_DAYS"]),
            duplicate_window=timedelta(hours=config["DUPLICATE_WINDOW_HOURS"]),
            acknowledge_by_mail=MailConfig.from_config(config).enabled,
            acknowledgements_per_address=int(config["MAIL_ACKNOWLEDGEMENTS_PER_ADDRESS"]),
        )


@dataclass(frozen=True)
class Stored:
    feedback_id: int
    duplicate: bool
    mail_id: int | None = None  # the acknowledgement queued in the outbox


def submit_feedback(
    session: Session | Direct,
    submission: Submission,
    *,
    now: datetime,
    rules: Rules = Rules(),
    received_at: datetime | None = None,
    check_duplicates: bool = True,
) -> Stored:
    """Mask and store one submission, unless it came from the same card in the window already.

    ``received_at`` is when the person wrote (default: ``now``); deadlines count from ``now``, when
    it reached the office. Sources with ids of their own (Google reviews) skip duplicate detection.
    A card code that matches no card is kept out of the record but the feedback is stored all the
    same: losing a citizen's words over a misprinted card would be worse than not attributing them.
    Uses prepared Core statements: the collector is the hot path and needs no unit of work, and
    runs on a ``portal.direct.Direct`` transaction there.
    """
    connection = session.connection()
    card_id, location_id = None, submission.location_id
    code = normalize_code(submission.card_code) if submission.card_code else None
    if code:
        row = connection.execute(_FIND_CARD, {"code": code}).first()
        if row:
            card_id, location_id = row

    masked = (
        mask_personal_data(submission.text, names=submission.writer_names)
        if submission.text
        else None
    )
    duplicate_key = None
    if masked and check_duplicates:
        duplicate_key = _duplicate_key(submission, code, location_id, masked.text)
        since = now - rules.duplicate_window
        earlier = connection.execute(
            _EARLIER_DUPLICATE, {"key": duplicate_key, "since": since}
        ).scalar()
        if earlier is not None:
            return Stored(earlier, duplicate=True)

    has_contact = bool(submission.contact_email or submission.contact_phone)
    deadlines = deadlines_for(
        now,
        wants_answer=has_contact,
        state=rules.state,
        triage_working_days=rules.triage_working_days,
    )
    acknowledge = _acknowledge(session, submission, now, rules)
    # The report roll-up counts the new reaction in the same transaction (portal.rollup). It is
    # the first write: the arithmetic before it runs before this writer's turn, which lasts
    # until the commit (portal.db.WriterTurns), and the INSERT follows right after it.
    rollup.submitted(
        session,
        received_at=received_at or now,
        channel=submission.channel,
        rating=submission.rating,
        location_id=location_id,
    )
    feedback_id = connection.execute(
        _INSERT_FEEDBACK,
        {
            "received_at": received_at or now,
            "channel": submission.channel,
            "card_id": card_id,
            "location_id": location_id,
            "language": submission.language,
            "rating": submission.rating,
            "kind": submission.kind,
            "area": submission.area,
            "text": masked.text if masked else None,
            "text_masked": bool(masked and masked.masked),
            "contact_email": submission.contact_email,
            "contact_phone": submission.contact_phone,
            "contact_consent_at": now if has_contact else None,
            "duplicate_key": duplicate_key,
            "acknowledge_by": deadlines.acknowledge_by,
            "close_by": deadlines.close_by,
            "updated_at": now,
        },
    ).scalar_one()
    mail_id = None
    if acknowledge:
        mail_id = enqueue(
            session,
            kind=MailKind.ACKNOWLEDGEMENT,
            recipient=submission.contact_email,
            lang=submission.language,
            now=now,
            feedback_id=feedback_id,
        )
    return Stored(feedback_id, duplicate=False, mail_id=mail_id)


def _acknowledge(
    session: Session | Direct, submission: Submission, now: datetime, rules: Rules
) -> bool:
    """An address gets an acknowledgement, unless it had its share in the window already.

    Asked before the new reaction is stored, so it is not among those counted."""
    if not (submission.contact_email and rules.acknowledge_by_mail):
        return False
    earlier = session.connection().scalar(
        _ACKNOWLEDGED_TO,
        {"since": now - rules.duplicate_window, "email": submission.contact_email},
    )
    return earlier < rules.acknowledgements_per_address


def _duplicate_key(
    submission: Submission, code: str | None, location_id: int | None, text: str
) -> str:
    """What makes a resubmission: the same card (or channel and location without one), the same
    rating, kind and area, and the same text. Two people who both write "Danke!" on the same card
    but tick different faces stay two reactions."""
    source = code or submission.card_code or f"{submission.channel.value}@{location_id or '-'}"
    answers = (submission.rating, submission.kind, submission.area)
    parts = [source, *("" if value is None else str(value) for value in answers)]
    parts.append(fingerprint_text(text))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()
