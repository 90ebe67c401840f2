"""What the admin area's forms share: the error summary, name clean-up, German dates."""

from __future__ import annotations

import re
from datetime import date, datetime

from flask_wtf import FlaskForm
from wtforms import Field, RadioField

from portal.deadlines import BERLIN
from portal.text import clean_text

_SPACES = re.compile(r"\s+")
DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]  # what a date input sends, and what people type


def error_summary(*forms: FlaskForm) -> list[tuple[str, str]]:
    """(anchor, message) for every error, in the order of the fields on the page.

    A radio group's anchor is its first option, where a click in the summary should land. The
    CSRF field is left out: a missing or stale token never reaches the view (admin/errors.py).
    """
    return [
        (anchor(field), str(message))
        for form in forms
        for field in form
        if field.errors and field.short_name != "csrf_token"
        for message in field.errors
    ]


def anchor(field: Field) -> str:
    return f"{field.id}-0" if isinstance(field, RadioField) else field.id


def single_line(value: str | None) -> str | None:
    """A name as typed, cleaned like every typed text, runs of spaces collapsed; None when blank."""
    value = clean_text(value)
    if value is None:
        return None
    return _SPACES.sub(" ", value).strip() or None


def berlin_date(value: datetime | date | None) -> str:
    """``31.12.2026`` in the office's time zone; an empty string for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(BERLIN).date()
    return f"{value:%d.%m.%Y}"
