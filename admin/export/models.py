"""The weekly export's data: the officer's column layout and the log of every export."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime


class ExportColumn(Base):
    """One column of the officer's layout; an empty table means the documented default."""

    __tablename__ = "export_column"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger, unique=True)
    field: Mapped[str] = mapped_column(String(40), unique=True)  # a key of admin.export.layout
    header: Mapped[str] = mapped_column(String(120))


class ExportRun(Base):
    """One export: who, when, which week, which format, how many rows, all or only changes."""

    __tablename__ = "export_run"
    __table_args__ = (Index("ix_export_run_week_at", "week", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # The name at the time (like the audit log); "krm (CLI)" for the command.
    actor: Mapped[str] = mapped_column(String(80))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    week: Mapped[str] = mapped_column(String(8))  # ISO week, 2026-W47
    format: Mapped[str] = mapped_column(String(8))  # xlsx or csv
    rows: Mapped[int]
    changed_only: Mapped[bool] = mapped_column(default=False)
    # Kundenbefragung results the export carried (XLSX sheet or survey CSV); None: none (a CSV
    # of reactions only). The next survey sheet holds what changed since the last such export.
    surveys: Mapped[int | None]
