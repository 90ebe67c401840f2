"""The annual report as an XLSX workbook: one sheet per figure, German headings.

Counts are numbers, shares and changes percent-formatted cells (stored as fractions, as a
spreadsheet expects); a change in percentage points is a number with the unit in its heading.
"""

from __future__ import annotations

from io import BytesIO
from typing import IO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from admin.reports.figures import COUNT, DECIMAL, PERCENT, AnnualReport, Figure, Row
from portal.deadlines import local_time

FORMATS = {COUNT: "#,##0", DECIMAL: "0.00", PERCENT: "0.0%"}
CHANGE_PERCENT = "+0.0%;-0.0%;0.0%"
CHANGE_POINTS = '+0.0" Pp.";-0.0" Pp.";0.0" Pp."'
SHARE = "0.0%"
BOLD = Font(bold=True)
# Excel allows 31 characters for a sheet's name; the figure's full title heads the sheet.
SHEET_NAMES = {
    "zugangsweg": "Zugangsweg",
    "anliegensart": "Anliegensart",
    "bereich": "Bereich und Thema",
    "bewertung": "Bewertung der Beschwerden",
    "qualitaetsstandard": "Qualitätsstandard",
    "google": "Google-Bewertungen",
}


def write_report(report: AnnualReport, target: str | IO[bytes], jobcenter: str) -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for figure in report.figures:
        _sheet(workbook, figure, report, jobcenter)
    workbook.save(target)


def report_bytes(report: AnnualReport, jobcenter: str) -> bytes:
    buffer = BytesIO()
    write_report(report, buffer, jobcenter)
    return buffer.getvalue()


def sheet_name(title: str) -> str:
    """Excel allows 31 characters and none of ``[]:*?/\\``."""
    for character in "[]:*?/\\":
        title = title.replace(character, " ")
    return title[:31].strip()


def headings(figure: Figure, report: AnnualReport) -> list[str]:
    year, before = report.year, report.previous_year
    columns = [figure.counts, str(year), str(before), "Veränderung"]
    if figure.shares:
        columns += [f"Anteil {year}", f"Anteil {before}", "Veränderung Anteil (Prozentpunkte)"]
    return columns


def _sheet(workbook: Workbook, figure: Figure, report: AnnualReport, jobcenter: str) -> None:
    sheet = workbook.create_sheet(sheet_name(SHEET_NAMES.get(figure.key, figure.title)))
    sheet["A1"] = f"{figure.title} {report.year} – {jobcenter}"
    sheet["A1"].font = Font(bold=True, size=13)
    stamp = local_time(report.generated_at)
    sheet["A2"] = f"Stand {stamp}. {figure.note}".strip()
    columns = headings(figure, report)
    sheet.append([])
    sheet.append(columns)
    for cell in sheet[4]:
        cell.font = BOLD
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in figure.rows:
        sheet.append(_values(row, figure))
        _format(sheet[sheet.max_row], row, figure)
    sheet.freeze_panes = "B5"
    sheet.column_dimensions["A"].width = 60
    for index in range(2, len(columns) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 14


def _fraction(value: float | None) -> float | None:
    return None if value is None else value / 100


def _values(row: Row, figure: Figure) -> list:
    label = ("    " if row.level else "") + row.label
    if row.unit == PERCENT:
        values = [label, _fraction(row.current), _fraction(row.previous), row.change]
    else:
        values = [label, row.current, row.previous, _fraction(row.change)]
    if figure.shares:
        values += [_fraction(row.share), _fraction(row.previous_share), row.share_change]
    return values


def _format(cells, row: Row, figure: Figure) -> None:
    cells[1].number_format = cells[2].number_format = FORMATS[row.unit]
    cells[3].number_format = CHANGE_POINTS if row.unit == PERCENT else CHANGE_PERCENT
    if figure.shares:
        cells[4].number_format = cells[5].number_format = SHARE
        cells[6].number_format = CHANGE_POINTS
    if row.level == 0 and any(r.level for r in figure.rows):
        cells[0].font = BOLD
