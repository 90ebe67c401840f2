"""The retention period: what a closed reaction keeps once ``KRM_RETENTION_MONTHS`` have passed.

An entry closed (erledigt, or marked Spam) longer ago than the period loses everything that could
point to a person: the free text, the contact data, the internal notes (also where the audit log
quoted them), the text's duplicate fingerprint, its e-mails in the outbox, and the reviewer name
and reply draft of its Google review; finished e-mails older than the period go as well. Every
field the reports and the export count stays: dates, channel, card and location, rating, kind,
area, Anliegen, status, team, deadlines, the Ombudsstelle flag, and the time of consent, so
"Antwort gewünscht" and the deadlines stay as they were. ``purged_at`` records when, so the
entry page can say why the text is missing.

Erledigt counts from ``closed_at``; Spam keeps no ``closed_at`` (admin.inbox.triage), so it counts
from the entry's last change, which is at or after the time it was marked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import and_, case, delete, func, or_, select, text, update
from sqlalchemy.orm import Session

from admin.google.models import GoogleReview
from admin.inbox.models import Note
from portal.audit import AuditEvent, record
from portal.feedback import Feedback
from portal.mail.outbox import forget_feedback, purge_outbox
from portal.progress import Track, quiet
from portal.vocab import Status

# What the audit log shows where it quoted a purged note.
PURGED = "[nach Ablauf der Aufbewahrungsfrist gelöscht]"
CHUNK = 500  # ids per IN (…): well below every engine's limit on bound parameters


class RetentionError(ValueError):
    """A retention setting that cannot be applied; the message says why."""


@dataclass(frozen=True)
class PurgeResult:
    cutoff: datetime
    entries: int = 0  # closed entries past the period, not purged before
    texts: int = 0
    contacts: int = 0
    notes: int = 0
    google_reviews: int = 0  # reviews whose reviewer name or reply draft was removed


def cutoff_for(now: datetime, months: int) -> datetime:
    """``now`` minus whole calendar months; the 31st becomes the last day of a shorter month."""
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise RetentionError(
            f"KRM_RETENTION_MONTHS muss eine ganze Zahl ab 1 sein, nicht {months!r}."
        )
    year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
    month += 1
    days_in_month = [31, 29 if _leap(year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return now.replace(year=year, month=month, day=min(now.day, days_in_month[month - 1]))


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def expired(cutoff: datetime):
    """The entries due for purging: closed before ``cutoff`` and not purged yet."""
    return and_(
        Feedback.purged_at.is_(None),
        or_(
            and_(Feedback.status == Status.DONE, Feedback.closed_at < cutoff),
            and_(Feedback.status == Status.SPAM, Feedback.updated_at < cutoff),
        ),
    )


def purge(
    session: Session,
    *,
    now: datetime,
    months: int,
    actor: str,
    actor_id: int | None = None,
    dry_run: bool = False,
    track: Track = quiet,
) -> PurgeResult:
    """Purge (or, with ``dry_run``, only count) the entries past the retention period.

    Writes one audit event with the counts when something was purged; the caller commits.
    The report roll-up is untouched: a purge keeps every field the reports count.
    """
    cutoff = cutoff_for(now, months)
    ids = list(session.scalars(select(Feedback.id).where(expired(cutoff)).order_by(Feedback.id)))
    result = _count(session, ids, cutoff)
    if dry_run or not ids:
        return result
    with track("Purging entries", len(ids)) as advance:
        for chunk in _chunks(ids):
            _purge_chunk(session, chunk, now)
            advance(len(chunk))
    purge_outbox(session, before=cutoff)
    if session.get_bind().dialect.name == "sqlite":
        # Merge the full-text index's segments, so no deleted term lingers in an old one.
        session.execute(text("INSERT INTO feedback_fts(feedback_fts) VALUES ('optimize')"))
    details = asdict(result) | {"cutoff": cutoff.isoformat(), "months": months}
    record(
        session, at=now, actor=actor, actor_id=actor_id, action="entries purged", changes=details
    )
    session.flush()
    session.expire_all()  # loaded entries must not show the text the database no longer has
    return result


def _purge_chunk(session: Session, chunk: Sequence[int], now: datetime) -> None:
    session.execute(delete(Note).where(Note.feedback_id.in_(chunk)))
    forget_feedback(session, chunk)  # queued or failed mails still hold the address
    session.execute(
        update(GoogleReview)
        .where(GoogleReview.feedback_id.in_(chunk))
        .values(
            reviewer_name=None,
            draft_text=None,
            draft_saved_at=None,
            reply_error=None,
            reply_error_at=None,
        )
    )
    # updated_at stays: a purge is no change the weekly "only what changed" export should see.
    session.execute(
        update(Feedback)
        .where(Feedback.id.in_(chunk))
        .values(
            text=None,
            contact_email=None,
            contact_phone=None,
            duplicate_key=None,
            purged_at=now,
        )
    )
    _forget_quoted_notes(session, chunk)


def _count(session: Session, ids: Sequence[int], cutoff: datetime) -> PurgeResult:
    texts = contacts = notes = reviews = 0
    has_contact = or_(Feedback.contact_email.is_not(None), Feedback.contact_phone.is_not(None))
    has_review_data = or_(
        GoogleReview.reviewer_name.is_not(None),
        GoogleReview.draft_text.is_not(None),
        GoogleReview.reply_error.is_not(None),
    )
    for chunk in _chunks(ids):
        row = session.execute(
            select(func.count(Feedback.text), func.count(case((has_contact, 1)))).where(
                Feedback.id.in_(chunk)
            )
        ).one()
        texts, contacts = texts + row[0], contacts + row[1]
        notes += session.scalar(select(func.count(Note.id)).where(Note.feedback_id.in_(chunk)))
        reviews += session.scalar(
            select(func.count(GoogleReview.id)).where(
                GoogleReview.feedback_id.in_(chunk), has_review_data
            )
        )
    return PurgeResult(cutoff, len(ids), texts, contacts, notes, reviews)


def _forget_quoted_notes(session: Session, chunk: Sequence[int]) -> None:
    """The audit log keeps that a note was written, and when, but no longer what it said."""
    events = session.scalars(
        select(AuditEvent).where(
            AuditEvent.feedback_id.in_(chunk), AuditEvent.changes.like('%"note"%')
        )
    )
    for event in events:
        details = event.details
        if "note" in details:
            details["note"] = [None, PURGED]
            event.changes = json.dumps(details, ensure_ascii=False)


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]
