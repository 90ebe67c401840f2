"""What the scanner leaves behind: the pages it has read (so a page is never read twice) and the
cards that wait for the officer's review, with their pictures (personal data: handwriting)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, LargeBinary, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime, utcnow


class ScannedPage(Base):
    """A page read once: its fingerprint (of the page's pixels) and when."""

    __tablename__ = "scan_page"

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cards: Mapped[int] = mapped_column(SmallInteger, default=0)


class ScanReview(Base):
    """A scanned card the machine could not store on its own: what was read, what is uncertain,
    and its picture, until the officer saves or discards it (or ``krm purge`` after
    KRM_SCAN_RETENTION_DAYS)."""

    __tablename__ = "scan_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    received_on: Mapped[date] = mapped_column(Date)
    page: Mapped[int] = mapped_column(SmallInteger)
    code: Mapped[str | None] = mapped_column(String(12))
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    kind: Mapped[str | None] = mapped_column(String(16))
    writing: Mapped[bool] = mapped_column(default=False)
    # Comma-separated fields read without certainty: code, rating, kind, writing.
    uncertain: Mapped[str] = mapped_column(String(64), default="")
    reasons: Mapped[str] = mapped_column(Text, default="")  # German, one a line
    boxes: Mapped[str] = mapped_column(Text, default="{}")  # JSON: each box's state
    layout: Mapped[str | None] = mapped_column(String(32))
    fingerprint: Mapped[str] = mapped_column(String(80), unique=True)
    picture: Mapped[bytes | None] = mapped_column(LargeBinary)

    @property
    def uncertain_fields(self) -> set[str]:
        return set(filter(None, self.uncertain.split(",")))
