"""Importing Kundenbefragung results: read a CSV or XLSX file, check every row, then replace.

A file is taken whole or not at all: every row is checked first and all problems are collected
(line and column named, the header being line 1); only a file without problems replaces the
results of the Zeiträume and Dienststellen it holds. Other Dienststellen of the same Zeitraum stay,
so a local survey never wipes out the central one.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from admin.accounts.models import User
from admin.surveys.models import ALL_LOCATIONS, SurveyResult
from portal.audit import record

HEADER = ("Zeitraum", "Dienststelle", "Merkmal", "Wert", "Skala", "Befragte")
MAX_ERRORS = 30
MAX_ROWS = 10_000
MAX_LOCATION, MAX_INDICATOR, MAX_SCALE = 120, 200, 80
PERIOD_FORMATS = "2026, 2026-H1, 2026-Q3 oder 2026-05"
_PERIOD = re.compile(r"^(\d{4})(?:-(H[12]|Q[1-4]|0[1-9]|1[0-2]))?$")
_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?$|^[+-]?\d+(?:\.\d+)?$")
_COUNT = re.compile(r"^(?:\d{1,3}(?:\.\d{3})+|\d+)$")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class SurveyRow:
    line: int
    period: str
    location: str
    indicator: str
    value: float
    scale: str
    respondents: int | None


@dataclass(frozen=True)
class ImportResult:
    rows: int
    replaced: list[tuple[str, str]]  # (Zeitraum, Dienststelle), sorted
    removed: int  # results of those that were there before and are not in the file
    changed: int = 0  # results new or changed (Merkmal, Wert, Skala, Befragte)

    def describe(self) -> str:
        groups: dict[str, list[str]] = {}
        for period, location in self.replaced:
            groups.setdefault(period, []).append(location)
        return "; ".join(f"{period} ({', '.join(places)})" for period, places in groups.items())


class SurveyFileError(ValueError):
    """A refused file: ``errors`` lists every problem found (capped), each naming its line."""

    def __init__(self, errors: Sequence[str], more: int = 0):
        self.errors = list(errors)
        self.more = more
        super().__init__("\n".join(self.messages))

    @property
    def messages(self) -> list[str]:
        extra = [f"… und {self.more} weitere Fehler."] if self.more else []
        return self.errors + extra


class _Errors:
    def __init__(self) -> None:
        self.found: list[str] = []
        self.total = 0

    def add(self, line: int, message: str, column: str | None = None) -> None:
        self.total += 1
        if len(self.found) < MAX_ERRORS:
            where = f"Zeile {line}, Spalte „{column}“" if column else f"Zeile {line}"
            self.found.append(f"{where}: {message}")

    def raise_any(self) -> None:
        if self.total:
            raise SurveyFileError(self.found, self.total - len(self.found))


# --- reading the file --------------------------------------------------------------------------


def read_survey_file(name: str, data: bytes) -> list[SurveyRow]:
    """Every row of the file, checked; raises SurveyFileError naming every problem."""
    if data[:4] == b"PK\x03\x04" or name.lower().endswith((".xlsx", ".xlsm")):
        lines = _xlsx_lines(data)
    else:
        lines = _csv_lines(data)
    return _check(lines)


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 as German Excel writes it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        unreadable = []
        for number, line in enumerate(data.splitlines(), start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                try:
                    line.decode("cp1252")
                except UnicodeDecodeError:
                    unreadable.append(number)
        errors = _Errors()
        for number in unreadable:
            errors.add(number, "unlesbare Zeichen (weder UTF-8 noch Windows-1252).")
        errors.raise_any()
        raise  # not reached: some line failed above


def _csv_lines(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    reader = csv.reader(io.StringIO(_decode(data), newline=""), delimiter=";")
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1


def _xlsx_lines(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise SurveyFileError(
            ["Zeile 1: Die Datei ist keine lesbare XLSX-Datei (Excel-Arbeitsmappe)."]
        ) from error
    try:
        sheet = book["Kundenbefragung"] if "Kundenbefragung" in book.sheetnames else book.active
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(cells)
    finally:
        book.close()


# --- checking the rows -------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    return _SPACES.sub(" ", str(value)).strip()


def _header_matches(cells: list[Any]) -> bool:
    names = [_text(cell).casefold() for cell in cells]
    while names and not names[-1]:
        names.pop()
    return names == [name.casefold() for name in HEADER]


def _check(lines: Iterator[tuple[int, list[Any]]]) -> list[SurveyRow]:
    errors = _Errors()
    first = next(lines, None)
    if first is None:
        raise SurveyFileError(["Zeile 1: Die Datei ist leer; erwartet wird die Kopfzeile."])
    line, cells = first
    if not _header_matches(cells):
        found = ";".join(_text(cell) for cell in cells).strip(";")
        raise SurveyFileError(
            [
                f"Zeile {line}: Die Kopfzeile muss „{';'.join(HEADER)}“ lauten "
                f"(Semikolon als Trennzeichen); gefunden: „{found[:120]}“."
            ]
        )
    rows: list[SurveyRow] = []
    seen: dict[tuple[str, str, str], int] = {}
    for line, cells in lines:
        if not any(_text(cell) for cell in cells):
            continue  # blank lines, and the empty rows Excel leaves below a table
        if len(rows) >= MAX_ROWS:
            errors.add(line, f"Mehr als {MAX_ROWS} Ergebnisse in einer Datei; bitte aufteilen.")
            break
        row = _check_row(line, cells, errors)
        if row is None:
            continue
        key = (row.period, row.location.casefold(), row.indicator.casefold())
        if key in seen:
            errors.add(
                line,
                f"„{row.period} / {row.location} / {row.indicator}“ steht schon in Zeile "
                f"{seen[key]}.",
                "Merkmal",
            )
        else:
            seen[key] = line
        rows.append(row)
    if not rows and not errors.total:
        errors.add(2, "Die Datei enthält nur die Kopfzeile, keine Ergebnisse.")
    errors.raise_any()
    return rows


def _check_row(line: int, cells: list[Any], errors: _Errors) -> SurveyRow | None:
    before = errors.total
    cells = list(cells) + [None] * (len(HEADER) - len(cells))
    if any(_text(cell) for cell in cells[len(HEADER) :]):
        errors.add(line, f"mehr als die {len(HEADER)} Spalten der Kopfzeile (Semikolon im Text?).")
    period = _period(cells[0], line, errors)
    location = _required(cells[1], "Dienststelle", MAX_LOCATION, line, errors)
    if location.casefold() == ALL_LOCATIONS:
        location = ALL_LOCATIONS
    indicator = _required(cells[2], "Merkmal", MAX_INDICATOR, line, errors)
    value = _value(cells[3], line, errors)
    scale = _required(cells[4], "Skala", MAX_SCALE, line, errors)
    respondents = _respondents(cells[5], line, errors)
    if errors.total > before:
        return None
    return SurveyRow(line, period, location, indicator, value, scale, respondents)


def _period(cell: Any, line: int, errors: _Errors) -> str:
    if isinstance(cell, datetime | date):  # Excel turns "2026-05" into 1 May 2026
        return f"{cell.year}-{cell.month:02d}"
    text = str(int(cell)) if isinstance(cell, int | float) and float(cell).is_integer() else cell
    period = _text(text).upper()
    if not period:
        errors.add(line, "Bitte geben Sie den Zeitraum an.", "Zeitraum")
    elif not _PERIOD.match(period):
        errors.add(
            line, f"„{_text(cell)}“ ist kein Zeitraum (erlaubt: {PERIOD_FORMATS}).", "Zeitraum"
        )
    return period


def _required(cell: Any, column: str, limit: int, line: int, errors: _Errors) -> str:
    text = _text(cell)
    if not text:
        errors.add(line, f"Bitte geben Sie {_ARTICLES[column]} an.", column)
    elif len(text) > limit:
        errors.add(line, f"höchstens {limit} Zeichen (hier {len(text)}).", column)
    return text


_ARTICLES = {"Dienststelle": "die Dienststelle", "Merkmal": "das Merkmal", "Skala": "die Skala"}


def _value(cell: Any, line: int, errors: _Errors) -> float:
    if isinstance(cell, bool):
        cell = str(cell)
    if isinstance(cell, int | float):
        if cell == cell and abs(cell) != float("inf"):
            return float(cell)
        cell = str(cell)
    text = _text(cell).replace(" ", "")
    if not text:
        errors.add(line, "Bitte geben Sie den Wert an.", "Wert")
        return 0.0
    if not _NUMBER.match(text):
        errors.add(line, f"„{_text(cell)}“ ist keine Zahl.", "Wert")
        return 0.0
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    elif text.count(".") == 1 and re.fullmatch(r"[+-]?\d+\.\d+", text):
        pass  # a decimal point
    else:
        text = text.replace(".", "")
    return float(text)


def _respondents(cell: Any, line: int, errors: _Errors) -> int | None:
    if cell is None or _text(cell) == "":
        return None
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    if isinstance(cell, int) and not isinstance(cell, bool):
        if cell >= 0:
            return cell
    else:
        text = _text(cell)
        if _COUNT.match(text):
            return int(text.replace(".", ""))
    errors.add(line, f"„{_text(cell)}“ ist keine ganze Zahl ab 0 (oder leer).", "Befragte")
    return None


# --- storing -----------------------------------------------------------------------------------


def import_surveys(
    session: Session,
    rows: Sequence[SurveyRow],
    *,
    source: str,
    actor: str,
    actor_id: int | None,
    now: datetime,
) -> ImportResult:
    """Replace the results of every (Zeitraum, Dienststelle) in ``rows``; the caller commits.

    Row by row: a result whose Merkmal (ignoring case), Wert, Skala and Befragte are as before
    keeps its ``changed_at``, so importing the same file twice changes nothing the export sees;
    a new or changed one gets ``now``. Results of those groups the file no longer holds go.
    """
    if not rows:
        raise SurveyFileError(["Zeile 2: Die Datei enthält nur die Kopfzeile, keine Ergebnisse."])
    replaced = sorted({(row.period, row.location) for row in rows})
    match = or_(
        *(
            and_(SurveyResult.period == period, SurveyResult.location == location)
            for period, location in replaced
        )
    )
    existing = {
        _key(r.period, r.location, r.indicator): r
        for r in session.scalars(select(SurveyResult).where(match))
    }
    changed = 0
    for row in rows:
        result = existing.pop(_key(row.period, row.location, row.indicator), None)
        if result is None:
            result = SurveyResult(period=row.period, location=row.location, changed_at=now)
            session.add(result)
            changed += 1
        elif _differs(result, row):
            result.changed_at = now
            changed += 1
        result.indicator = row.indicator
        result.value = row.value
        result.scale = row.scale
        result.respondents = row.respondents
        result.imported_at = now
        result.imported_by_id = actor_id
    for result in existing.values():
        session.delete(result)
    result = ImportResult(len(rows), replaced, len(existing), changed)
    record(
        session,
        at=now,
        actor=actor,
        actor_id=actor_id,
        action="surveys imported",
        subject=source[:120],
        changes={
            "rows": len(rows),
            "replaced": result.describe(),
            "changed": changed,
            "removed": len(existing),
        },
    )
    session.flush()
    return result


def _key(period: str, location: str, indicator: str) -> tuple[str, str, str]:
    return period, location, indicator.casefold()


def _differs(result: SurveyResult, row: SurveyRow) -> bool:
    return (result.indicator, result.value, result.scale, result.respondents) != (
        row.indicator,
        row.value,
        row.scale,
        row.respondents,
    )


def import_survey_file(
    session: Session,
    name: str,
    data: bytes,
    *,
    actor: str,
    actor_id: int | None = None,
    now: datetime,
) -> ImportResult:
    """Read, check and import a file in one step (raises SurveyFileError, writing nothing)."""
    rows = read_survey_file(name, data)
    return import_surveys(session, rows, source=name, actor=actor, actor_id=actor_id, now=now)


@dataclass(frozen=True)
class PeriodSummary:
    period: str
    location: str
    indicators: int
    imported_at: datetime
    imported_by: str | None


def imported_periods(session: Session) -> list[PeriodSummary]:
    """Per Zeitraum and Dienststelle: how many Merkmale, imported when and by whom."""
    query = (
        select(
            SurveyResult.period,
            SurveyResult.location,
            func.count(),
            func.max(SurveyResult.imported_at),
            func.max(User.name),
        )
        .outerjoin(User, User.id == SurveyResult.imported_by_id)
        .group_by(SurveyResult.period, SurveyResult.location)
        .order_by(SurveyResult.period.desc(), SurveyResult.location)
    )
    return [PeriodSummary(*row) for row in session.execute(query)]
