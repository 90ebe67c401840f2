"""The audit log: every change, who made it and when, written in the same transaction."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, and_, func, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.db import Base, UTCDateTime


class AuditEvent(Base):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The name at the time: kept readable if the account is renamed; "krm (CLI)" for commands.
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    feedback_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), index=True
    )
    subject: Mapped[str | None] = mapped_column(String(120))
    # {"field": [old, new], …} for changes, or other details of the action.
    changes: Mapped[str | None] = mapped_column(Text)

    @property
    def details(self) -> dict[str, Any]:
        return json.loads(self.changes) if self.changes else {}


def record(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    actor_id: int | None = None,
    feedback_id: int | None = None,
    subject: str | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        at=at,
        actor=actor,
        actor_id=actor_id,
        action=action,
        feedback_id=feedback_id,
        subject=subject,
        changes=json.dumps(changes, ensure_ascii=False, default=str) if changes else None,
    )
    session.add(event)
    return event


# The log's sections, as conditions on an event.
SECTIONS = {
    "sign-in": lambda: AuditEvent.action.in_(("signed in", "sign-in failed", "signed out")),
    "entries": lambda: AuditEvent.feedback_id.isnot(None),
    "accounts": lambda: or_(AuditEvent.subject.like("user:%"), AuditEvent.subject.like("team:%")),
    "cards": lambda: and_(
        AuditEvent.feedback_id.is_(None),
        or_(AuditEvent.subject.like("location:%"), AuditEvent.subject.like("card:%")),
    ),
    "topics": lambda: AuditEvent.subject.like("topic:%"),
    "google": lambda: AuditEvent.action.like("google:%"),
    "mail": lambda: or_(
        AuditEvent.action.like("mail:%"),
        AuditEvent.action.in_(
            ("acknowledged by mail", "interim reply queued", "interim reply sent")
        ),
    ),
    "export": lambda: or_(
        AuditEvent.action.like("export %"), AuditEvent.action == "surveys imported"
    ),
}


def log_page(
    session: Session,
    *,
    section: str | None = None,
    actor: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> tuple[list[AuditEvent], int | None]:
    """Newest first, paged by id (the order of writing); returns the events and the next cursor."""
    query = select(AuditEvent)
    if section in SECTIONS:
        query = query.where(SECTIONS[section]())
    if actor:
        query = query.where(func.lower(AuditEvent.actor) == actor.strip().lower())
    if before is not None:
        query = query.where(AuditEvent.id < before)
    events = list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit + 1)))
    more = len(events) > limit
    events = events[:limit]
    return events, (events[-1].id if more else None)


def history(session: Session, feedback_id: int) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.feedback_id == feedback_id)
    return list(session.scalars(query.order_by(AuditEvent.at, AuditEvent.id)))
