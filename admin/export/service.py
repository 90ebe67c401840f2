"""The weekly export into the case register: one ISO week as XLSX or CSV, and its log.

One service behind ``krm export`` and the admin download. Rows are read with a streaming query
(``yield_per``, plain rows, no ORM objects) and written row by row: XlsxWriter in its
constant-memory mode and the ``csv`` module, so a large week never sits in memory as a list.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import IO, Any

import xlsxwriter
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from admin.accounts.models import Team
from admin.export.layout import FORMULA_STARTS, Column, current_layout
from admin.export.models import ExportRun
from admin.inbox.models import Concern, Topic
from admin.surveys.importer import HEADER
from admin.surveys.service import sheet_results
from cards.models import Card, Location
from portal.deadlines import BERLIN
from portal.feedback import Feedback
from portal.progress import Track, counted, quiet
from portal.vocab import AREA_REGISTER_LABELS, Status

FORMATS = ("xlsx", "csv")
SURVEY_CSV = "kb-csv"  # the log's format of a survey CSV downloaded on its own
FORMAT_LABELS = {"xlsx": "XLSX", "csv": "CSV", SURVEY_CSV: "CSV (nur Kundenbefragung)"}
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
REACTIONS_SHEET = "Kundenreaktionen"
SURVEY_SHEET = "Kundenbefragung"
SURVEY_HEADER = HEADER  # the sheet holds what the survey import reads
DATE_FORMAT = "DD.MM.YYYY"  # the XLSX cell format; the CSV writes dd.mm.yyyy text
BATCH = 500
_WEEK = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)


class ExportError(ValueError):
    """An export that cannot be made; the message (German) says why."""


# --- the week ----------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Week:
    """An ISO week; it runs from Monday 00:00 to Sunday 24:00 in Europe/Berlin."""

    year: int
    number: int

    def __str__(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @classmethod
    def parse(cls, text: str) -> Week:
        match = _WEEK.match(text or "")
        if match:
            year, number = int(match[1]), int(match[2])
            try:
                date.fromisocalendar(year, number, 1)  # week 53 exists in some years only
            except ValueError:
                pass
            else:
                return cls(year, number)
        raise ExportError(
            f"„{text}“ ist keine Kalenderwoche: bitte im Format 2026-W47 (Jahr, W, Woche 1–53)."
        )

    @classmethod
    def containing(cls, day: date) -> Week:
        year, number, _ = day.isocalendar()
        return cls(year, number)

    @classmethod
    def last_complete(cls, now: datetime) -> Week:
        """The week before the current one in Berlin: on a Monday, the week that just ended."""
        return cls.containing(now.astimezone(BERLIN).date() - timedelta(days=7))

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.monday, time(0), BERLIN).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The start of the next Monday (exclusive)."""
        return datetime.combine(self.monday + timedelta(days=7), time(0), BERLIN).astimezone(UTC)

    @property
    def label(self) -> str:
        sunday = self.monday + timedelta(days=6)
        return f"KW {self.number}/{self.year} ({self.monday:%d.%m.} – {sunday:%d.%m.%Y})"


# --- cells -------------------------------------------------------------------------------------


def neutralise(value: str) -> str:
    """Text a spreadsheet would read as a formula gets a leading apostrophe; both writers use it.

    Only text is touched: a number (e.g. a rating) is written as a number, never as text.
    """
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


@lru_cache(maxsize=4096)
def cell_text(value: str) -> str:
    """Text as both formats write it: control characters XLSX cannot hold removed, neutralised.

    Cached: the same labels, names and empty cells come back in every row of an export.
    """
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))


@lru_cache(maxsize=4096)
def xlsx_text(value: str) -> str:
    """``cell_text`` with line ends as XML reads them (CR LF and CR become LF): XlsxWriter would
    keep a CR as the escape ``_x000D_``, which not every reader turns back into a CR."""
    return cell_text(value).replace("\r\n", "\n").replace("\r", "\n")


def german_date(value: date | None) -> str:
    # Not strftime: this runs for every date cell of a CSV export, and formatting is 10x faster.
    return f"{value.day:02d}.{value.month:02d}.{value.year}" if value else ""


# --- the rows ----------------------------------------------------------------------------------


def last_export_at(session: Session, week: Week) -> datetime | None:
    """When the week was last exported (any format); "only new or changed" starts there."""
    return session.scalar(
        select(ExportRun.at).where(ExportRun.week == str(week)).order_by(ExportRun.at.desc())
    )


def _rows_query(week: Week, since: datetime | None):
    concerns = [aliased(Concern, name=f"concern{n}") for n in (1, 2, 3)]
    topics = [aliased(Topic, name=f"topic{n}") for n in (1, 2, 3)]
    columns = [
        Feedback.id,
        Feedback.received_at,
        Feedback.channel,
        Location.name.label("location"),
        Card.code.label("card_code"),
        Card.label.label("card_label"),
        Feedback.rating,
        Feedback.kind,
        Feedback.text,
        Feedback.status,
        Feedback.closed_at,
        Feedback.ombudsstelle,
        Team.name.label("team"),
    ]
    for n, (concern, topic) in enumerate(zip(concerns, topics, strict=True), start=1):
        columns += [
            concern.kind.label(f"concern{n}_kind"),
            concern.area.label(f"concern{n}_area"),
            topic.name.label(f"concern{n}_topic"),
            concern.assessment.label(f"concern{n}_assessment"),
        ]
    query = (
        select(*columns)
        .select_from(Feedback)
        .outerjoin(Location, Location.id == Feedback.location_id)
        .outerjoin(Card, Card.id == Feedback.card_id)
        .outerjoin(Team, Team.id == Feedback.team_id)
    )
    for n, (concern, topic) in enumerate(zip(concerns, topics, strict=True), start=1):
        query = query.outerjoin(
            concern, and_(concern.feedback_id == Feedback.id, concern.position == n)
        ).outerjoin(topic, topic.id == concern.topic_id)
    query = query.where(
        Feedback.received_at >= week.start,
        Feedback.received_at < week.end,
        Feedback.status != Status.SPAM,
    )
    if since is not None:
        query = query.where(Feedback.updated_at > since)
    return query.order_by(Feedback.received_at, Feedback.id)


def export_rows(
    session: Session, week: Week, *, since: datetime | None = None
) -> Iterator[dict[str, Any]]:
    """One dict per reaction, keyed by the fields of ``admin.export.layout.FIELDS``."""
    result = session.execute(_rows_query(week, since).execution_options(yield_per=BATCH))
    labels: dict[Any, str] = {}

    def label(member) -> str:
        """A vocabulary label as text, looked up (and translated) once per export, not per row."""
        if member is None:
            return ""
        if member not in labels:
            labels[member] = str(member.label)
        return labels[member]

    for row in result:
        values: dict[str, Any] = {
            "id": row.id,
            "received": row.received_at.astimezone(BERLIN).date(),
            "channel": label(row.channel),
            "location": row.location or "",
            "card": f"{row.card_label} ({row.card_code})" if row.card_code else "",
            "rating": row.rating,
            "kind": label(row.kind),
            "text": row.text or "",
            "status": label(row.status),
            "closed": row.closed_at.astimezone(BERLIN).date() if row.closed_at else None,
            "ombudsstelle": "ja" if row.ombudsstelle else "nein",
            "team": row.team or "",
        }
        mapping = row._mapping
        for n in (1, 2, 3):
            area = mapping[f"concern{n}_area"]
            values[f"concern{n}_kind"] = label(mapping[f"concern{n}_kind"])
            values[f"concern{n}_area"] = AREA_REGISTER_LABELS[area] if area else ""
            values[f"concern{n}_topic"] = mapping[f"concern{n}_topic"] or ""
            values[f"concern{n}_assessment"] = label(mapping[f"concern{n}_assessment"])
        yield values


def export_count(session: Session, week: Week, *, since: datetime | None = None) -> int:
    """How many rows ``export_rows`` gives."""
    rows = _rows_query(week, since).order_by(None).subquery()
    return session.scalar(select(func.count()).select_from(rows)) or 0


def surveys_since(session: Session) -> datetime | None:
    """When survey results were last handed out (an XLSX export or a survey CSV); None: never."""
    return session.scalar(select(func.max(ExportRun.at)).where(ExportRun.surveys.isnot(None)))


def survey_rows(session: Session, since: datetime | None) -> list[tuple[Any, ...]]:
    """The Kundenbefragung sheet's rows, chosen by the surveys room (``sheet_results``)."""
    return [
        (r.period, r.location, r.indicator, r.value, r.scale, r.respondents)
        for r in sheet_results(session, since)
    ]


# --- the writers -------------------------------------------------------------------------------


def _csv_value(value: Any) -> Any:
    if isinstance(value, str):  # most cells: tested first
        return cell_text(value)
    if value is None:
        return ""
    if isinstance(value, date):
        return german_date(value)
    if isinstance(value, float):  # German decimal comma; 2.0 as 2
        return str(int(value)) if value.is_integer() else repr(value).replace(".", ",")
    return value


def write_csv(out: IO[bytes], header: Iterable[str], rows: Iterable[Iterable[Any]]) -> int:
    """Semicolon-separated, UTF-8 with byte order mark, CRLF: what German Excel opens as is."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow([cell_text(name) for name in header])
    count = 0
    for row in rows:
        writer.writerow([_csv_value(value) for value in row])
        count += 1
    text.flush()
    text.detach()
    return count


def _xlsx_rows(sheet, date_format, rows: Iterable[Iterable[Any]], first: int = 0) -> int:
    """Write rows from row ``first`` on, cell by typed cell: text as text (never a formula, no
    cell for empty text), dates with the German date format, numbers as numbers."""
    text, number, moment = sheet.write_string, sheet.write_number, sheet.write_datetime
    count = 0
    for index, row in enumerate(rows, start=first):
        for column, value in enumerate(row):
            if isinstance(value, str):  # most cells: tested first
                if value:
                    text(index, column, xlsx_text(value))
            elif value is None:
                continue
            elif isinstance(value, date):
                moment(index, column, value, date_format)
            elif isinstance(value, bool):
                sheet.write_boolean(index, column, value)
            else:
                number(index, column, value)
        count += 1
    return count


def write_xlsx(
    out: IO[bytes],
    header: Iterable[str],
    rows: Iterable[Iterable[Any]],
    surveys: Iterable[Iterable[Any]],
) -> int:
    """The reactions, then the sheet Kundenbefragung, streamed (XlsxWriter's constant memory:
    each row goes to a temporary file as soon as the next one starts)."""
    book = xlsxwriter.Workbook(out, {"constant_memory": True})
    date_format = book.add_format({"num_format": DATE_FORMAT})
    sheet = book.add_worksheet(REACTIONS_SHEET)
    sheet.freeze_panes(1, 0)
    _xlsx_rows(sheet, date_format, [list(header)])
    count = _xlsx_rows(sheet, date_format, rows, first=1)
    survey_sheet = book.add_worksheet(SURVEY_SHEET)
    survey_sheet.freeze_panes(1, 0)
    _xlsx_rows(survey_sheet, date_format, [SURVEY_HEADER])
    _xlsx_rows(survey_sheet, date_format, surveys, first=1)
    book.close()
    return count


# --- one export --------------------------------------------------------------------------------


def _ordered(rows: Iterable[dict[str, Any]], layout: list[Column]) -> Iterator[list[Any]]:
    for values in rows:
        yield [values[column.field] for column in layout]


def run_export(
    session: Session,
    week: Week,
    format: str,
    out: IO[bytes],
    *,
    changed_only: bool = False,
    actor: str,
    actor_id: int | None = None,
    now: datetime,
    track: Track = quiet,
) -> ExportRun:
    """Write the week to ``out`` in the officer's layout and log it; the caller commits.

    ``track`` shows progress (``portal.progress``): the rows are counted first only for it.
    """
    if format not in FORMATS:
        raise ExportError(f"Unbekanntes Format „{format}“: xlsx oder csv.")
    since = last_export_at(session, week) if changed_only else None
    layout = current_layout(session)
    header = [column.header for column in layout]
    rows = _ordered(export_rows(session, week, since=since), layout)
    total = 0 if track is quiet else export_count(session, week, since=since)
    surveys = None
    with track(f"Export {week}", total) as advance:
        if format == "csv":
            count = write_csv(out, header, counted(rows, advance))
        else:
            surveys = survey_rows(session, surveys_since(session))
            count = write_xlsx(out, header, counted(rows, advance), surveys)
    run = ExportRun(
        at=now,
        actor=actor,
        actor_id=actor_id,
        week=str(week),
        format=format,
        rows=count,
        changed_only=changed_only,
        surveys=None if surveys is None else len(surveys),
    )
    session.add(run)
    session.flush()
    return run


def write_survey_csv(
    session: Session,
    week: Week,
    out: IO[bytes],
    *,
    actor: str,
    actor_id: int | None = None,
    now: datetime,
    run: ExportRun | None = None,
) -> int:
    """The Kundenbefragung sheet as its own CSV (a CSV file holds one table), and logged.

    With ``run`` (the reactions CSV it goes with, as ``krm export --surveys-out``) the count is
    written to that run; without, the download is its own run of the week, format ``kb-csv``.
    Either way the next survey sheet starts from it.
    """
    count = write_csv(out, SURVEY_HEADER, survey_rows(session, surveys_since(session)))
    if run is None:
        run = ExportRun(
            at=now, actor=actor, actor_id=actor_id, week=str(week), format=SURVEY_CSV, rows=0
        )
        session.add(run)
    run.surveys = count
    session.flush()
    return count


def recent_runs(session: Session, limit: int = 20) -> list[ExportRun]:
    query = select(ExportRun).order_by(ExportRun.at.desc(), ExportRun.id.desc()).limit(limit)
    return list(session.scalars(query))


def filename(week: Week, format: str, *, changed_only: bool = False) -> str:
    suffix = "-aenderungen" if changed_only else ""
    return f"krm-export-{week}{suffix}.{format}"
