"""Locations (Dienststellen) and their Meinungskarten (touchpoints with a short code)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UTCDateTime, utcnow, vocab_type
from portal.vocab import Area


class Location(Base):
    __tablename__ = "location"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cards: Mapped[list[Card]] = relationship(back_populates="location", order_by="Card.id")


class Card(Base):
    __tablename__ = "card"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(5), unique=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    default_area: Mapped[Area | None] = mapped_column(vocab_type(Area))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A retired card is no longer printed, but its old copies keep working and are attributed.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    location: Mapped[Location] = relationship(back_populates="cards")
