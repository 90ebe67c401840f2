"""Re-masking (``krm privacy remask``): apply today's masking rules to texts stored before them.

The masking in ``portal.privacy`` runs when a text arrives; rules added later (birth dates, tax
IDs, names …) do not reach the texts already stored. This walks every stored citizen text — the
feedback text, which also holds Google review comments (with the reviewer's name, while it is
kept) and typed-in paper cards — in batches by id, masks it again and writes back what changed.
Internal notes are the officer's words and are never rewritten.

Writing goes through ``UPDATE feedback SET text``: SQLite's FTS5 triggers (migration 0002) and
PostgreSQL's expression index on ``to_tsvector(text)`` keep the full-text search in step. The
entry's ``updated_at`` moves on, so the weekly export carries the masked text downstream too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from admin.google.models import GoogleReview
from portal.audit import record
from portal.feedback import Feedback
from portal.privacy import KINDS, PLACEHOLDERS, mask_personal_data

ACTOR = "krm (CLI)"
BATCH = 1000


@dataclass
class RemaskResult:
    checked: int = 0  # texts looked at
    changed: int = 0  # texts that were (or would be) rewritten
    kinds: Counter[str] = field(default_factory=Counter)  # removed occurrences per kind

    def counts(self) -> dict[str, int]:
        return {kind: self.kinds[kind] for kind in KINDS if self.kinds[kind]}


def remask(
    session: Session,
    *,
    now: datetime,
    actor: str,
    dry_run: bool = False,
    batch_size: int = BATCH,
    progress: Callable[[int], None] | None = None,
) -> RemaskResult:
    """Mask every stored text again; one audit event for the run unless nothing changed.

    Reads ``batch_size`` rows at a time (keyset by id), so a million entries never sit in
    memory at once; ``progress`` is told how many texts each batch held. With ``dry_run`` the
    counts are the same but nothing is written.
    """
    result = RemaskResult()
    last_id = 0
    while True:
        rows = session.execute(
            select(Feedback.id, Feedback.text, GoogleReview.reviewer_name)
            .outerjoin(GoogleReview, GoogleReview.feedback_id == Feedback.id)
            .where(Feedback.id > last_id, Feedback.text.is_not(None))
            .order_by(Feedback.id)
            .limit(batch_size)
        ).all()
        if not rows:
            break
        last_id = rows[-1].id
        changes = [change for row in rows if (change := _remasked(row, result))]
        result.checked += len(rows)
        if changes and not dry_run:
            session.execute(
                update(Feedback),
                [{**change, "text_masked": True, "updated_at": now} for change in changes],
            )
        if progress:
            progress(len(rows))
    if result.changed and not dry_run:
        record(
            session,
            at=now,
            actor=actor,
            action="privacy: texts masked again",
            subject="privacy",
            changes={"checked": result.checked, "remasked": result.changed, **result.counts()},
        )
    return result


def _remasked(row, result: RemaskResult) -> dict | None:
    """The new text of one row if today's rules change it; tallies the kinds it removed."""
    names = (row.reviewer_name,) if row.reviewer_name else ()
    masked = mask_personal_data(row.text, names=names)
    if not masked.masked or masked.text == row.text:
        return None
    result.changed += 1
    for kind in masked.kinds:
        # New placeholders of the kind; at least one, even where two findings became one.
        placeholder = PLACEHOLDERS[kind]
        result.kinds[kind] += max(1, masked.text.count(placeholder) - row.text.count(placeholder))
    return {"id": row.id, "text": masked.text}


def count_texts(session: Session) -> int:
    return session.scalar(select(func.count()).where(Feedback.text.is_not(None))) or 0
