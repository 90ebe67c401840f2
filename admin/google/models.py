"""Google reviews of the Jobcenter's Business Profile locations, and reply templates.

A review is stored once per (location, review id) and is also a ``Feedback`` entry, so it is
triaged, counted and exported like any other reaction. Its text lives only in that entry, masked;
the review row keeps what the reply needs: stars, times, the reply and its state, and the
reviewer's name only until the reply is published or the retention period has passed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UTCDateTime, utcnow
from portal.feedback import Feedback

STAR_WORDS = {1: "1 von 5 Sternen", 2: "2 von 5 Sternen", 3: "3 von 5 Sternen"}
STAR_WORDS |= {4: "4 von 5 Sternen", 5: "5 von 5 Sternen"}


class GoogleReview(Base):
    __tablename__ = "google_review"
    __table_args__ = (UniqueConstraint("location", "review_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # accounts/…/locations/…/reviews/…, as Google names it.
    name: Mapped[str] = mapped_column(String(400))
    location: Mapped[str] = mapped_column(String(200), index=True)  # locations/…
    review_id: Mapped[str] = mapped_column(String(200))
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), unique=True
    )
    stars: Mapped[int] = mapped_column(SmallInteger)
    anonymous: Mapped[bool] = mapped_column(default=False)
    # Kept only for the reply's {name}; erased on publishing or after the retention period.
    reviewer_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)  # Google's createTime
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)  # Google's updateTime
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the review no longer appears in Google's listing; the record stays.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The reply as it stands on Google.
    reply_text: Mapped[str | None] = mapped_column(Text)
    reply_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The officer's draft, saved before any call to Google, so a failure loses nothing.
    draft_text: Mapped[str | None] = mapped_column(Text)
    draft_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why the last publish or delete failed (German, for the officer); cleared on success.
    reply_error: Mapped[str | None] = mapped_column(Text)
    reply_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    feedback: Mapped[Feedback] = relationship()

    @property
    def answered(self) -> bool:
        return self.reply_text is not None

    @property
    def state(self) -> str:
        """The reply's state in words: the officer's view of where the answer stands."""
        if self.draft_text is not None and self.reply_error:
            return "Veröffentlichen fehlgeschlagen"
        if self.draft_text is not None:
            return "Entwurf" if not self.answered else "Änderung als Entwurf"
        if self.answered:
            return "veröffentlicht"
        return "unbeantwortet"

    @property
    def stars_text(self) -> str:
        return STAR_WORDS.get(self.stars, f"{self.stars} von 5 Sternen")

    @property
    def reviewer(self) -> str:
        if self.anonymous:
            return "anonym"
        return self.reviewer_name or "(Name gelöscht)"


class ReplyTemplate(Base):
    """A Textbaustein: a reply with placeholders such as ``{name}`` and ``{jobcenter}``."""

    __tablename__ = "reply_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120), unique=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
