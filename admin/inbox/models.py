"""The inbox's data: the officer's classification (Anliegen) with its topics, and notes."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UTCDateTime, utcnow, vocab_type
from portal.vocab import Area, Assessment, ConcernKind

if TYPE_CHECKING:
    from admin.accounts.models import User


class Topic(Base):
    """A Thema; the domain's list is seeded, the KRM officer adds more."""

    __tablename__ = "topic"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    active: Mapped[bool] = mapped_column(default=True)


class Concern(Base):
    """One Anliegen of a reaction; the register takes at most three."""

    __tablename__ = "concern"
    __table_args__ = (
        UniqueConstraint("feedback_id", "position"),
        CheckConstraint("position BETWEEN 1 AND 3", name="position_range"),
        # Reports count Anliegen per kind, area, topic and assessment from this index alone.
        Index("ix_concern_report", "feedback_id", "kind", "area", "topic_id", "assessment"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
    kind: Mapped[ConcernKind] = mapped_column(vocab_type(ConcernKind))
    area: Mapped[Area | None] = mapped_column(vocab_type(Area))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id"))
    assessment: Mapped[Assessment | None] = mapped_column(vocab_type(Assessment))

    topic: Mapped[Topic | None] = relationship()


class Note(Base):
    """An internal note on an entry; never shown to the citizen, never exported."""

    __tablename__ = "note"

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    text: Mapped[str] = mapped_column(Text)

    author: Mapped[User | None] = relationship()
