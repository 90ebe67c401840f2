"""Feedback: one Kundenreaktion as it arrived, masked before it was stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cards.models import Card, Location
from portal.db import Base, UTCDateTime, utcnow, vocab_type
from portal.vocab import Area, Channel, Kind, Status


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        Index("ix_feedback_received_at_id", "received_at", "id"),
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

    status: Mapped[Status] = mapped_column(vocab_type(Status), default=Status.NEW, index=True)
    # Keyed hash of card and normalised text: the same text from the same card is stored once.
    duplicate_key: Mapped[str | None] = mapped_column(String(64), index=True)

    card: Mapped[Card | None] = relationship()
    location: Mapped[Location | None] = relationship()

    @property
    def wants_answer(self) -> bool:
        return self.contact_consent_at is not None
