"""Feedback: one Kundenreaktion as it arrived, masked before it was stored."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cards.models import Card, Location
from portal.db import Base, UTCDateTime, utcnow, vocab_type

if TYPE_CHECKING:
    from admin.accounts.models import Team
    from admin.inbox.models import Concern, Note
from portal.vocab import OPEN_STATUSES, Area, Channel, Kind, Status


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        Index("ix_feedback_received_at_id", "received_at", "id"),
        Index("ix_feedback_status_close_by", "status", "close_by"),
        Index("ix_feedback_status_received_at", "status", "received_at"),
        Index("ix_feedback_team_id_received_at", "team_id", "received_at"),
        Index("ix_feedback_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    channel: Mapped[Channel] = mapped_column(vocab_type(Channel), index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"), index=True)
    card_id: Mapped[int | None] = mapped_column(ForeignKey("card.id"), index=True)
    language: Mapped[str] = mapped_column(String(8))

    rating: Mapped[int | None] = mapped_column(SmallInteger)
    kind: Mapped[Kind | None] = mapped_column(vocab_type(Kind))
    area: Mapped[Area | None] = mapped_column(vocab_type(Area))
    # The citizen's text with personal data replaced by placeholders; ``text_masked`` says so.
    text: Mapped[str | None] = mapped_column(Text)
    text_masked: Mapped[bool] = mapped_column(default=False)

    # Only present when the person asked for an answer and consented.
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    contact_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    status: Mapped[Status] = mapped_column(vocab_type(Status), default=Status.NEW)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    ombudsstelle: Mapped[bool] = mapped_column(default=False)
    # Deadlines (portal.deadlines): acknowledgement only where an answer was requested.
    acknowledge_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    close_by: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the Zwischennachricht went out (portal.mail.outbox), where closing takes longer.
    interim_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Keyed hash of card and normalised text: the same text from the same card is stored once.
    duplicate_key: Mapped[str | None] = mapped_column(String(64), index=True)
    # When the retention purge removed text, contact data and notes (admin.retention.service).
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    card: Mapped[Card | None] = relationship()
    location: Mapped[Location | None] = relationship()
    team: Mapped[Team | None] = relationship()
    concerns: Mapped[list[Concern]] = relationship(
        order_by="Concern.position", cascade="all, delete-orphan", passive_deletes=True
    )
    notes: Mapped[list[Note]] = relationship(
        order_by="Note.created_at", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def reference(self) -> str:
        return reference(self.id)

    @property
    def wants_answer(self) -> bool:
        return self.contact_consent_at is not None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def overdue(self, now: datetime) -> bool:
        """Open past its closing deadline, or an acknowledgement owed past its deadline."""
        if not self.is_open:
            return False
        owed = self.acknowledge_by is not None and self.acknowledged_at is None
        return self.close_by < now or (owed and self.acknowledge_by < now)


def reference(feedback_id: int) -> str:
    """The Aktenzeichen a citizen is given in the acknowledgement: ``KRM-42``."""
    return f"KRM-{feedback_id}"
