"""Deadlines of a Kundenreaktion, in working days of the Jobcenter's federal state.

A reaction whose author asked for an answer is acknowledged within 3 working days and closed
within 14 calendar days. Anonymous feedback has nobody to acknowledge; it is triaged within a
configurable number of working days (``KRM_TRIAGE_WORKING_DAYS``). A deadline is the end of its
day in Europe/Berlin, the office's day, stored in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

BERLIN = ZoneInfo("Europe/Berlin")
ACKNOWLEDGE_WORKING_DAYS = 3
CLOSE_CALENDAR_DAYS = 14


@lru_cache(maxsize=32)
def public_holidays(state: str) -> holidays.HolidayBase:
    """Public holidays of a German state (ISO 3166-2 suffix, e.g. RP); years are added lazily."""
    return holidays.country_holidays("DE", subdiv=state)


def is_working_day(day: date, state: str) -> bool:
    return day.weekday() < 5 and day not in public_holidays(state)


@lru_cache(maxsize=256)
def add_working_days(start: date, days: int, state: str) -> date:
    """The ``days``-th working day after ``start`` (the day of receipt does not count).

    Cached: every submission of a day asks the same question of the holiday calendar.
    """
    day = start
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, state):
            counted += 1
    return day


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), BERLIN).astimezone(UTC)


def local_date(moment: datetime) -> date:
    return moment.astimezone(BERLIN).date()


def local_time(moment: datetime | None) -> str:
    """A moment as the office reads it: ``dd.mm.yyyy HH:MM`` in Europe/Berlin."""
    return moment.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M") if moment else "–"


def local_day(moment: datetime | None) -> str:
    return moment.astimezone(BERLIN).strftime("%d.%m.%Y") if moment else "–"


@dataclass(frozen=True)
class Deadlines:
    acknowledge_by: datetime | None  # only when an answer was requested
    close_by: datetime


def deadlines_for(
    received_at: datetime, *, wants_answer: bool, state: str, triage_working_days: int
) -> Deadlines:
    received = local_date(received_at)
    if wants_answer:
        return Deadlines(
            acknowledge_by=end_of_day(add_working_days(received, ACKNOWLEDGE_WORKING_DAYS, state)),
            close_by=end_of_day(received + timedelta(days=CLOSE_CALENDAR_DAYS)),
        )
    return Deadlines(
        acknowledge_by=None,
        close_by=end_of_day(add_working_days(received, triage_working_days, state)),
    )
