"""What other rooms ask of the survey results: the export's Kundenbefragung sheet."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin.surveys.models import SurveyResult


def _last_month(period: str) -> tuple[int, int]:
    """The year and last month of a period: 2026 and 2026-H2 end in (2026, 12), 2026-Q1 in 3."""
    year, _, part = period.partition("-")
    try:
        if not part:
            return int(year), 12
        if part[0] in "HQ":
            return int(year), (6 if part[0] == "H" else 3) * int(part[1:])
        return int(year), int(part)
    except ValueError:
        return 0, 0


def sheet_results(session: Session, since: datetime | None) -> list[SurveyResult]:
    """Results changed since ``since`` (all results without it), and always those of each
    Dienststelle's and Merkmal's latest period (the one ending last): results of a half-year are
    published after it has ended, so the export carries them whenever they arrive.

    Survey results are a few hundred rows, so they are read whole and chosen here.
    """
    query = select(SurveyResult).order_by(
        SurveyResult.period, SurveyResult.location, SurveyResult.indicator
    )
    results = list(session.scalars(query))
    latest: dict[tuple[str, str], tuple[int, int]] = {}
    for result in results:
        key = (result.location, result.indicator.casefold())
        latest[key] = max(latest.get(key, (0, 0)), _last_month(result.period))
    return [
        result
        for result in results
        if since is None
        or result.changed_at >= since
        or _last_month(result.period) == latest[(result.location, result.indicator.casefold())]
    ]
