"""The figures of the dashboard and of the annual report, summed up from the report roll-up.

Every function takes a session and a period and sums the lines of ``portal.rollup`` (kept exact
by the services that change entries); no feedback row is loaded into Python. Spam never counts.
Periods are calendar spans in Europe/Berlin, so a period is a range of the roll-up's Berlin days;
the annual figures' lines are per month, so ``reaction_counts`` and ``concern_cells`` take whole
months (a year). Only whether open reactions are overdue is asked of the feedback rows, at
``now``. The definitions are documented in ``docs/reports.md``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from admin.inbox.models import Topic
from admin.inbox.query import overdue_condition
from admin.surveys.models import SurveyResult
from cards.models import Location
from portal.deadlines import BERLIN, local_date
from portal.feedback import Feedback
from portal.rollup import (
    CLOSING,
    CONCERN,
    IN_TIME,
    LATE,
    LOCATION,
    OPEN,
    REACTION,
    RECEIVED,
    ReportRollup,
)
from portal.vocab import (
    AREA_REGISTER_LABELS,
    COMPLAINT_KINDS,
    OPEN_STATUSES,
    Area,
    Assessment,
    Channel,
    ConcernKind,
    Status,
)

COUNT = "count"
PERCENT = "percent"  # a share in percent; its change is given in percentage points
DECIMAL = "decimal"  # an average or a survey value

NO_AREA = "ohne Bereich"
FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years a report may be asked for
NO_TOPIC = "ohne Thema"


# --- periods -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A span of Berlin calendar days as UTC bounds: ``start <= received_at < end``."""

    start: datetime
    end: datetime
    label: str


def berlin_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=BERLIN).astimezone(UTC)


def year_period(year: int) -> Period:
    return Period(
        berlin_midnight(date(year, 1, 1)), berlin_midnight(date(year + 1, 1, 1)), str(year)
    )


def month_start(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def month_period(day: date) -> Period:
    start = month_start(day)
    return Period(
        berlin_midnight(start),
        berlin_midnight(month_start(start, -1)),
        f"{start:%m.%Y}",
    )


def week_period(day: date) -> Period:
    monday = day - timedelta(days=day.weekday())
    return Period(
        berlin_midnight(monday),
        berlin_midnight(monday + timedelta(days=7)),
        f"{monday:%d.%m.}–{monday + timedelta(days=6):%d.%m.%Y}",
    )


def default_year(now: datetime) -> int:
    """The year an annual report is usually wanted for: in January and February the one before."""
    today = now.astimezone(BERLIN).date()
    return today.year - 1 if today.month <= 2 else today.year


def counted(period: Period) -> list[ColumnElement[bool]]:
    """Reactions received in the period that count: everything but spam."""
    return [
        Feedback.received_at >= period.start,
        Feedback.received_at < period.end,
        Feedback.status != Status.SPAM,
    ]


# --- comparing two years -----------------------------------------------------------------------


def change_percent(current: float | None, previous: float | None) -> float | None:
    """Change against the year before in percent; None where there is nothing to compare to."""
    if current is None or not previous:
        return None
    return (current - previous) / previous * 100


def share(part: float, whole: float) -> float | None:
    return part / whole * 100 if whole else None


@dataclass(frozen=True)
class Row:
    """One line of a figure: this year, the year before, and (where it makes sense) shares."""

    label: str
    current: float | None
    previous: float | None
    unit: str = COUNT
    share: float | None = None
    previous_share: float | None = None
    level: int = 0  # 1: a breakdown of the row above (a Thema within its Bereich)

    @property
    def change(self) -> float | None:
        """Percent for counts and averages, percentage points for shares."""
        if self.unit == PERCENT:
            if self.current is None or self.previous is None:
                return None
            return self.current - self.previous
        return change_percent(self.current, self.previous)

    @property
    def share_change(self) -> float | None:
        if self.share is None or self.previous_share is None:
            return None
        return self.share - self.previous_share


@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    counts: str  # what the figure counts: "Kundenreaktionen", "Anliegen", …
    rows: tuple[Row, ...]
    note: str = ""
    shares: bool = False
    share_of: str = ""  # what the shares are shares of
    chart: bool = True


@dataclass(frozen=True)
class AnnualReport:
    year: int
    generated_at: datetime
    figures: tuple[Figure, ...]

    @property
    def previous_year(self) -> int:
        return self.year - 1

    def figure(self, key: str) -> Figure:
        return next(figure for figure in self.figures if figure.key == key)


# --- the figures of one period -----------------------------------------------------------------


@dataclass(frozen=True)
class Reactions:
    """Counts over Kundenreaktionen (feedback rows), one aggregate."""

    total: int = 0
    ombudsstelle: int = 0
    closed_in_time: int = 0
    closed_late: int = 0
    open_overdue: int = 0
    open_pending: int = 0  # open, deadline not yet passed: not judged yet
    unclassified: int = 0  # no Anliegen recorded yet

    @property
    def judged(self) -> int:
        """The base of the quality standard: closed, or open past the deadline."""
        return self.closed_in_time + self.closed_late + self.open_overdue

    @property
    def in_standard_share(self) -> float | None:
        return share(self.closed_in_time, self.judged)


def days(period: Period) -> list[ColumnElement[bool]]:
    """The period's Berlin days in the roll-up: the same span as ``counted``."""
    return [
        ReportRollup.day >= local_date(period.start),
        ReportRollup.day < local_date(period.end),
    ]


def rollup_of(fact: str, period: Period, *columns):
    """Grouped sums of one fact of the roll-up over the period; empty groups left out."""
    total = func.sum(ReportRollup.count)
    return (
        select(*columns, total)
        .where(ReportRollup.fact == fact, *days(period))
        .group_by(*columns)
        .having(total != 0)
    )


def open_overdue(session: Session, period: Period, now: datetime) -> int:
    """Open reactions of the period past their deadline at ``now``: asked live, as time passes
    without a write; the range of open ones in ``ix_feedback_status_received_at``."""
    query = select(func.count()).where(
        Feedback.status.in_(OPEN_STATUSES),
        Feedback.received_at >= period.start,
        Feedback.received_at < period.end,
        Feedback.close_by < now,
    )
    return session.scalar(query) or 0


def reaction_counts(
    session: Session, period: Period, now: datetime
) -> tuple[Reactions, dict[Channel, int], dict[Channel, dict[int, int]]]:
    """The period's totals, its reactions per channel and its ratings 1–5 per channel.

    From the roll-up's reaction lines (portal.rollup); of the open reactions only those past
    their deadline at ``now`` are counted from the feedback rows.
    """
    r = ReportRollup
    columns = (r.channel, r.rating, r.ombudsstelle, r.outcome, r.classified)
    query = rollup_of(REACTION, period, *columns)
    totals: dict[str, int] = defaultdict(int)
    channels: dict[Channel, int] = defaultdict(int)
    distribution: dict[Channel, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for channel, rating, ombudsstelle, outcome, classified, count in session.execute(query):
        totals["total"] += count
        totals["ombudsstelle"] += count if ombudsstelle else 0
        totals[outcome] += count
        totals["unclassified"] += 0 if classified else count
        channels[Channel(channel)] += count
        if rating:
            distribution[Channel(channel)][int(rating)] += count
    overdue = open_overdue(session, period, now) if totals[OPEN] else 0
    reactions = Reactions(
        total=totals["total"],
        ombudsstelle=totals["ombudsstelle"],
        closed_in_time=totals[IN_TIME],
        closed_late=totals[LATE],
        open_overdue=overdue,
        open_pending=totals[OPEN] - overdue,
        unclassified=totals["unclassified"],
    )
    return reactions, dict(channels), {c: dict(d) for c, d in distribution.items()}


@dataclass(frozen=True)
class ConcernCell:
    kind: ConcernKind
    area: Area | None
    topic: str | None
    assessment: Assessment | None
    count: int


def concern_cells(session: Session, period: Period) -> list[ConcernCell]:
    """Anliegen of the period's reactions, counted per kind, area, topic and assessment.

    From the roll-up's Anliegen lines (a few hundred groups), summed up in Python by ``tally``.
    """
    r = ReportRollup
    query = rollup_of(CONCERN, period, r.kind, r.area, Topic.name, r.assessment).outerjoin(
        Topic, Topic.id == r.topic_id
    )
    return [
        ConcernCell(
            ConcernKind(kind),
            Area(area) if area else None,
            topic,
            Assessment(assessment) if assessment else None,
            count,
        )
        for kind, area, topic, assessment, count in session.execute(query)
    ]


def tally(cells: list[ConcernCell], key, where=lambda cell: True) -> dict:
    totals: dict = defaultdict(int)
    for cell in cells:
        if where(cell):
            totals[key(cell)] += cell.count
    return dict(totals)


def average(distribution: dict[int, int]) -> float | None:
    n = sum(distribution.values())
    return sum(stars * count for stars, count in distribution.items()) / n if n else None


def survey_results(session: Session, year: int) -> dict[tuple[str, str, str], SurveyResult]:
    """The survey rows of a year, keyed by (part of the year, location, indicator).

    Survey results arrive already aggregated (a few dozen rows a year), so they are read as rows.
    """
    prefix = str(year)
    query = select(SurveyResult).where(
        (SurveyResult.period == prefix) | SurveyResult.period.like(prefix + "-%")
    )
    results = {}
    for result in session.scalars(query):
        part = result.period[len(prefix) :].lstrip("-") or "Jahr"
        results[(part, result.location, result.indicator)] = result
    return results


# --- the annual report -------------------------------------------------------------------------


@dataclass
class _Year:
    reactions: Reactions
    channels: dict[Channel, int]
    cells: list[ConcernCell]
    google: dict[int, int]
    surveys: dict = field(default_factory=dict)

    @property
    def concerns(self) -> int:
        return sum(cell.count for cell in self.cells)

    def complaints(self) -> list[ConcernCell]:
        return [cell for cell in self.cells if cell.kind in COMPLAINT_KINDS]


def _year(session: Session, year: int, now: datetime) -> _Year:
    period = year_period(year)
    reactions, channels, ratings = reaction_counts(session, period, now)
    return _Year(
        reactions=reactions,
        channels=channels,
        cells=concern_cells(session, period),
        google=ratings.get(Channel.SOCIAL_MEDIA, {}),
        surveys=survey_results(session, year),
    )


def _counts(
    labels: list[tuple[object, str]], current: dict, previous: dict, level: int = 0
) -> list[Row]:
    """Rows of counts with each one's share of the total of its year."""
    whole, whole_before = sum(current.values()), sum(previous.values())
    return [
        Row(
            label,
            current.get(key, 0),
            previous.get(key, 0),
            share=share(current.get(key, 0), whole),
            previous_share=share(previous.get(key, 0), whole_before),
            level=level,
        )
        for key, label in labels
    ]


def _area_keys(*tallies: dict) -> list[tuple[Area | None, str]]:
    keys: list[tuple[Area | None, str]] = list(AREA_REGISTER_LABELS.items())
    if any(None in tally_ for tally_ in tallies):
        keys.append((None, NO_AREA))
    return keys


def annual_report(session: Session, year: int, now: datetime) -> AnnualReport:
    """The quantitative part of the annual report for ``year``, each figure against the year before.

    ``now`` decides which open reactions are past their deadline (the quality standard).
    """
    cur, prev = _year(session, year, now), _year(session, year - 1, now)
    figures = (
        _overview(cur, prev),
        _channels(cur, prev),
        _kinds(cur, prev),
        _areas_topics(cur, prev),
        _praise(cur, prev),
        _assessments(cur, prev),
        _standard(cur, prev),
        _google(cur, prev),
        _surveys(cur, prev),
    )
    return AnnualReport(year=year, generated_at=now, figures=figures)


def _justified(year: _Year) -> tuple[int, int, int]:
    """Complaints, of them assessed, of them begründet."""
    complaints = year.complaints()
    assessed = sum(cell.count for cell in complaints if cell.assessment is not None)
    justified = sum(cell.count for cell in complaints if cell.assessment == Assessment.JUSTIFIED)
    return sum(cell.count for cell in complaints), assessed, justified


def _overview(cur: _Year, prev: _Year) -> Figure:
    complaints, assessed, justified = _justified(cur)
    complaints_before, assessed_before, justified_before = _justified(prev)
    stars, stars_before = cur.google, prev.google
    rows = (
        Row("Kundenreaktionen", cur.reactions.total, prev.reactions.total),
        Row("Anliegen", cur.concerns, prev.concerns),
        Row(
            "Kundenreaktionen ohne Anliegen (noch nicht eingeordnet)",
            cur.reactions.unclassified,
            prev.reactions.unclassified,
        ),
        Row("Beschwerden (Anliegen)", complaints, complaints_before),
        Row("davon begründet", justified, justified_before),
        Row(
            "Anteil begründet",
            share(justified, assessed),
            share(justified_before, assessed_before),
            unit=PERCENT,
        ),
        Row(
            "Im Qualitätsstandard erledigt",
            cur.reactions.in_standard_share,
            prev.reactions.in_standard_share,
            unit=PERCENT,
        ),
        Row(
            "Petitionen",
            tally(cur.cells, lambda c: c.kind).get(ConcernKind.PETITION, 0),
            tally(prev.cells, lambda c: c.kind).get(ConcernKind.PETITION, 0),
        ),
        Row(
            "An die Ombudsstelle gerichtet",
            cur.reactions.ombudsstelle,
            prev.reactions.ombudsstelle,
            share=share(cur.reactions.ombudsstelle, cur.reactions.total),
            previous_share=share(prev.reactions.ombudsstelle, prev.reactions.total),
        ),
        Row("Google-Bewertungen", sum(stars.values()), sum(stars_before.values())),
        Row("Google: Sterne im Durchschnitt", average(stars), average(stars_before), DECIMAL),
    )
    return Figure(
        "ueberblick",
        "Überblick",
        "Kennzahl",
        rows,
        note="Anteil an den Kundenreaktionen des Jahres (Ombudsstelle); Anteil begründet: an den "
        "bewerteten Beschwerden; Qualitätsstandard: siehe eigene Tabelle.",
        chart=False,
    )


def _channels(cur: _Year, prev: _Year) -> Figure:
    labels = [(channel, channel.label) for channel in Channel]
    return Figure(
        "zugangsweg",
        "Kundenreaktionen nach Zugangsweg",
        "Kundenreaktionen",
        tuple(_counts(labels, cur.channels, prev.channels)),
        shares=True,
        share_of="allen Kundenreaktionen",
    )


def _kinds(cur: _Year, prev: _Year) -> Figure:
    labels = [(kind, kind.label) for kind in ConcernKind]

    def kinds(year: _Year) -> dict:
        return tally(year.cells, lambda cell: cell.kind)

    return Figure(
        "anliegensart",
        "Anliegen nach Anliegensart",
        "Anliegen",
        tuple(_counts(labels, kinds(cur), kinds(prev))),
        shares=True,
        share_of="allen Anliegen",
    )


def _areas_topics(cur: _Year, prev: _Year) -> Figure:
    def areas(year: _Year) -> dict:
        return tally(year.cells, lambda cell: cell.area)

    def topics(year: _Year, area: Area | None) -> dict:
        return tally(year.cells, lambda cell: cell.topic or NO_TOPIC, lambda c: c.area == area)

    area_now, area_before = areas(cur), areas(prev)
    rows: list[Row] = []
    for area_row, (area, _label) in zip(
        _counts(_area_keys(area_now, area_before), area_now, area_before),
        _area_keys(area_now, area_before),
        strict=True,
    ):
        rows.append(area_row)
        now_topics, before_topics = topics(cur, area), topics(prev, area)
        names = sorted(
            set(now_topics) | set(before_topics),
            key=lambda n: (n == NO_TOPIC, -now_topics.get(n, 0), n),
        )
        rows.extend(_counts([(n, n) for n in names], now_topics, before_topics, level=1))
    return Figure(
        "bereich",
        "Anliegen nach Bereich und Thema",
        "Anliegen",
        tuple(rows),
        shares=True,
        share_of="allen Anliegen (Bereich) bzw. an den Anliegen des Bereichs (Thema)",
    )


def _praise(cur: _Year, prev: _Year) -> Figure:
    def praise(year: _Year) -> dict:
        return tally(year.cells, lambda c: c.area, lambda c: c.kind == ConcernKind.PRAISE)

    now, before = praise(cur), praise(prev)
    return Figure(
        "lob",
        "Lob nach Bereich",
        "Anliegen der Art Lob",
        tuple(_counts(_area_keys(now, before), now, before)),
        shares=True,
        share_of="allem Lob",
    )


def _assessments(cur: _Year, prev: _Year) -> Figure:
    def assessments(year: _Year) -> dict:
        return tally(year.complaints(), lambda cell: cell.assessment)

    now, before = assessments(cur), assessments(prev)
    labels = [(assessment, assessment.label) for assessment in Assessment]
    rows = _counts(labels, _without(now, None), _without(before, None))
    rows.append(Row("noch ohne Bewertung", now.get(None, 0), before.get(None, 0)))
    return Figure(
        "bewertung",
        "Beschwerden nach Bewertung",
        "Anliegen der Arten Fachliche, Fachaufsichts- und Dienstaufsichtsbeschwerde",
        tuple(rows),
        note="Beschwerden ohne Bewertung zählen für die Anteile nicht mit.",
        shares=True,
        share_of="den bewerteten Beschwerden",
    )


def _without(counts: dict, key) -> dict:
    return {k: v for k, v in counts.items() if k != key}


def _standard(cur: _Year, prev: _Year) -> Figure:
    a, b = cur.reactions, prev.reactions
    parts = [
        ("in", "fristgerecht erledigt"),
        ("late", "nach Fristablauf erledigt"),
        ("overdue", "offen und überfällig"),
    ]

    def values(r: Reactions) -> dict:
        return {"in": r.closed_in_time, "late": r.closed_late, "overdue": r.open_overdue}

    rows = _counts(parts, values(a), values(b))
    rows.append(Row("offen, Frist läuft noch (nicht gezählt)", a.open_pending, b.open_pending))
    return Figure(
        "qualitaetsstandard",
        "Erledigung im Qualitätsstandard",
        "Kundenreaktionen",
        tuple(rows),
        note="Fristgerecht: als erledigt abgeschlossen spätestens am Ende der Bearbeitungsfrist. "
        "Offene Kundenreaktionen, deren Frist noch läuft, zählen nicht mit.",
        shares=True,
        share_of="den erledigten und überfälligen Kundenreaktionen",
    )


def _google(cur: _Year, prev: _Year) -> Figure:
    labels = [
        (stars, f"{stars} {'Stern' if stars == 1 else 'Sterne'}") for stars in range(5, 0, -1)
    ]
    return Figure(
        "google",
        "Google-Bewertungen nach Sternen",
        "Bewertungen (Zugangsweg soziale Medien)",
        tuple(_counts(labels, cur.google, prev.google)),
        note="Durchschnitt und Anzahl stehen im Überblick.",
        shares=True,
        share_of="allen Google-Bewertungen",
    )


def _surveys(cur: _Year, prev: _Year) -> Figure:
    rows = []
    for key in sorted(cur.surveys):
        part, location, indicator = key
        result = cur.surveys[key]
        before = prev.surveys.get(key)
        label = f"{indicator} ({result.scale}), {location}, {part}"
        rows.append(Row(label, result.value, before.value if before else None, DECIMAL))
    return Figure(
        "kundenbefragung",
        "Kundenbefragung",
        "Merkmale",
        tuple(rows),
        note="Werte wie eingelesen; verglichen mit demselben Zeitraum, derselben Dienststelle und "
        "demselben Merkmal des Vorjahres.",
        chart=False,
    )


# --- the dashboard -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodCounts:
    period: Period
    received: int
    closed: int
    average_rating: float | None


@dataclass(frozen=True)
class Trend:
    """Average rating per month and location, the last twelve months."""

    months: tuple[Period, ...]
    # location name -> one (average, count) per month, None where no rating was given
    series: dict[str, list[tuple[float, int] | None]]


@dataclass(frozen=True)
class Dashboard:
    now: datetime
    new: int
    open: int
    overdue: int
    week: PeriodCounts
    month: PeriodCounts
    trend: Trend


def period_counts(session: Session, period: Period) -> PeriodCounts:
    r = ReportRollup
    received, rated, stars = session.execute(
        select(
            func.coalesce(func.sum(r.count), 0),
            func.coalesce(func.sum(case((r.rating > 0, r.count), else_=0)), 0),
            func.coalesce(func.sum(r.rating * r.count), 0),
        ).where(r.fact == RECEIVED, *days(period))
    ).one()
    closed = session.scalar(
        select(func.coalesce(func.sum(r.count), 0)).where(r.fact == CLOSING, *days(period))
    )
    return PeriodCounts(period, int(received), int(closed or 0), stars / rated if rated else None)


def rating_trend(session: Session, today: date, months: int = 12) -> Trend:
    periods = tuple(month_period(month_start(today, back)) for back in range(months - 1, -1, -1))
    r = ReportRollup
    month_index = case(
        *((r.day < local_date(p.end), index) for index, p in enumerate(periods)),
        else_=months - 1,
    )
    window = Period(periods[0].start, periods[-1].end, "")
    query = (
        select(
            Location.id,
            Location.name,
            month_index,
            func.sum(r.rating * r.count),
            func.sum(r.count),
        )
        .select_from(r)
        .outerjoin(Location, Location.id == r.location_id)
        .where(r.fact == LOCATION, *days(window))
        .group_by(Location.id, Location.name, month_index)
        .having(func.sum(r.count) != 0)
    )
    series: dict[str, list] = {}
    for _id, name, index, stars, count in session.execute(query):
        series.setdefault(name or "ohne Dienststelle", [None] * months)[index] = (
            stars / count,
            count,
        )
    return Trend(periods, dict(sorted(series.items())))


def dashboard(session: Session, now: datetime) -> Dashboard:
    today = now.astimezone(BERLIN).date()

    def count(*conditions: ColumnElement[bool]) -> int:
        return session.scalar(select(func.count()).select_from(Feedback).where(*conditions)) or 0

    return Dashboard(
        now=now,
        new=count(Feedback.status == Status.NEW),
        open=count(Feedback.status.in_(OPEN_STATUSES)),
        overdue=count(overdue_condition(now)),
        week=period_counts(session, week_period(today)),
        month=period_counts(session, month_period(today)),
        trend=rating_trend(session, today),
    )
