"""Kundenbefragung: survey results, one indicator of one period for one location."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime, utcnow

# The file's word for "the whole Jobcenter" rather than one office.
ALL_LOCATIONS = "gesamt"


class SurveyResult(Base):
    """One row of an imported file: ``2026-H1;gesamt;Gesamtzufriedenheit;2,1;Schulnote 1-6;412``."""

    __tablename__ = "survey_result"
    __table_args__ = (UniqueConstraint("period", "location", "indicator"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(20), index=True)  # 2026-H1, 2026-Q3, 2026, 2026-05
    location: Mapped[str] = mapped_column(String(120))  # a Dienststelle's name, or "gesamt"
    indicator: Mapped[str] = mapped_column(String(200))  # Merkmal
    value: Mapped[float] = mapped_column(Float)
    scale: Mapped[str] = mapped_column(String(80))  # Skala, e.g. "Schulnote 1-6" or "Prozent"
    respondents: Mapped[int | None]  # Befragte
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # last import
    # When the result was new or its Merkmal, Wert, Skala or Befragte last changed: re-importing
    # the same row leaves it, so the export carries what changed since the last export.
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
