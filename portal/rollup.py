"""The report roll-up: the counts the annual report and the dashboard read, per Berlin day or month.

Every reaction contributes a few keys (``contribution``), each counting one: per Berlin month its
line of the reactions (channel, rating, Ombudsstelle, outcome, classified or not), its rating at
its location and one key per Anliegen (the annual report and the rating trend); per Berlin day its
rating and its closing day (the dashboard's week and month). The services that change an entry
call ``add`` or ``changed`` with its keys before the change, in the same transaction, so the
table is exact at every commit; ``krm report rebuild`` (``rebuild``) recomputes it from the rows.

Keys are Berlin calendar days (months as their first day), so every period the figures ask for (a
year, a month, a week) is a range of days; months keep the annual figures to a few thousand lines
a year, however many reactions there are.
Whether an open reaction is past its deadline changes as time passes without any write, so open
reactions are counted here only as open; the report asks the feedback table which of them are
overdue at ``now`` (``admin.reports.figures``). Empty parts of a key are stored as ``""`` and
``0``, never NULL, so one unique constraint holds and an upsert finds the row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    and_,
    column,
    func,
    select,
    table,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column

from portal.db import Base, UTCDateTime
from portal.deadlines import local_date
from portal.direct import Direct
from portal.vocab import OPEN_STATUSES, Status

# Per Berlin month (``day`` is the month's first day): what the annual report and the trend read.
REACTION, LOCATION, CONCERN = "reaction", "location", "concern"
# Per Berlin day: what the dashboard's week and month read.
RECEIVED, CLOSING = "received", "closing"
IN_TIME, LATE, OPEN, OTHER = "in_time", "late", "open", ""  # a reaction's outcome
BATCH = 5000  # keys per upsert statement in a rebuild


class ReportRollup(Base):
    __tablename__ = "report_rollup"
    __table_args__ = (
        UniqueConstraint(
            "fact",
            "day",
            "channel",
            "rating",
            "location_id",
            "ombudsstelle",
            "outcome",
            "classified",
            "kind",
            "area",
            "topic_id",
            "assessment",
            name="uq_report_rollup_key",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fact: Mapped[str] = mapped_column(String(8))
    day: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(32), default="")
    rating: Mapped[int] = mapped_column(SmallInteger, default=0)
    location_id: Mapped[int] = mapped_column(Integer, default=0)
    ombudsstelle: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str] = mapped_column(String(8), default="")
    classified: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[str] = mapped_column(String(32), default="")
    area: Mapped[str] = mapped_column(String(32), default="")
    topic_id: Mapped[int] = mapped_column(Integer, default=0)
    assessment: Mapped[str] = mapped_column(String(32), default="")
    count: Mapped[int] = mapped_column(Integer, default=0)


class Key(NamedTuple):
    fact: str
    day: date
    channel: str = ""
    rating: int = 0
    location_id: int = 0
    ombudsstelle: bool = False
    outcome: str = ""
    classified: bool = False
    kind: str = ""
    area: str = ""
    topic_id: int = 0
    assessment: str = ""


def _value(item: Any) -> str:
    return "" if item is None else str(getattr(item, "value", item))


def outcome(entry: Any) -> str:
    """Erledigt in time or late (against ``close_by``), open, or neither (erledigt, no time)."""
    if entry.status in OPEN_STATUSES:
        return OPEN
    if entry.status == Status.DONE and entry.closed_at is not None:
        return IN_TIME if entry.closed_at <= entry.close_by else LATE
    return OTHER


def reaction_keys(entry: Any, classified: bool) -> list[Key]:
    """The keys of a reaction itself; ``entry`` has the feedback row's attributes."""
    keys = []
    if entry.status != Status.SPAM:
        day = local_date(entry.received_at)
        month = day.replace(day=1)
        keys.append(
            Key(
                REACTION,
                month,
                channel=_value(entry.channel),
                rating=entry.rating or 0,
                ombudsstelle=bool(entry.ombudsstelle),
                outcome=outcome(entry),
                classified=classified,
            )
        )
        keys.append(Key(RECEIVED, day, rating=entry.rating or 0))
        if entry.rating is not None:
            location = entry.location_id or 0
            keys.append(Key(LOCATION, month, rating=entry.rating, location_id=location))
    if entry.status == Status.DONE and entry.closed_at is not None:
        keys.append(Key(CLOSING, local_date(entry.closed_at)))
    return keys


def concern_key(entry: Any, concern: Any) -> Key | None:
    """The key of one Anliegen (kind, area, topic_id, assessment) of ``entry``; none for spam."""
    if entry.status == Status.SPAM:
        return None
    return Key(
        CONCERN,
        local_date(entry.received_at).replace(day=1),
        kind=_value(concern.kind),
        area=_value(concern.area),
        topic_id=concern.topic_id or 0,
        assessment=_value(concern.assessment),
    )


def contribution(entry: Any, concerns: Iterable[Any] = ()) -> Counter[Key]:
    """Everything one reaction with its Anliegen counts in the roll-up: the one definition."""
    concerns = list(concerns)
    keys = Counter(reaction_keys(entry, classified=bool(concerns)))
    keys.update(key for key in (concern_key(entry, c) for c in concerns) if key is not None)
    return keys


def add(session: Session | Direct, keys: Counter[Key], sign: int = 1) -> None:
    """Count ``keys`` (with ``sign`` -1: uncount them), one upsert; Core, no flush of its own.

    In the keys' order: two transactions meet the same rows in the same order, so on PostgreSQL
    one waits for the other instead of both deadlocking.
    """
    counts = sorted((key, sign * n) for key, n in keys.items() if n)
    if counts:
        _upsert(session, counts)


def replace(session: Session, before: Counter[Key], after: Counter[Key]) -> None:
    """An entry changed from ``before`` to ``after`` (both from ``contribution``)."""
    changes = Counter(after)
    changes.subtract(before)
    add(session, changes)


def submitted(
    session: Session | Direct,
    *,
    received_at: datetime,
    channel: str,
    rating: int | None,
    location_id: int | None,
) -> None:
    """Count a reaction just stored by ``portal.submissions``: new, no Anliegen yet."""
    entry = _Entry(received_at, channel, rating, location_id, False, Status.NEW, received_at, None)
    add(session, contribution(entry))


@cache
def _statement(dialect: str):
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    rollup = ReportRollup.__table__
    statement = insert(rollup)
    return statement.on_conflict_do_update(
        index_elements=list(Key._fields),
        set_={"count": rollup.c["count"] + statement.excluded["count"]},
    )


def _upsert(connection: Session | Connection | Direct, counts: list[tuple[Key, int]]) -> None:
    bind = connection if isinstance(connection, Connection) else connection.get_bind()
    statement = _statement(bind.dialect.name)
    rows = [key._asdict() | {"count": n} for key, n in counts]
    for start in range(0, len(rows), BATCH):
        connection.execute(statement, rows[start : start + BATCH])


# --- recomputing from the rows -----------------------------------------------------------------

_feedback = table(
    "feedback",
    column("id", Integer),
    column("received_at", UTCDateTime()),
    column("channel", String),
    column("rating", Integer),
    column("location_id", Integer),
    column("ombudsstelle", Boolean),
    column("status", String),
    column("close_by", UTCDateTime()),
    column("closed_at", UTCDateTime()),
)
_concern = table(
    "concern",
    column("feedback_id", Integer),
    column("position", Integer),
    column("kind", String),
    column("area", String),
    column("topic_id", Integer),
    column("assessment", String),
)
ENTRY_COLUMNS = ("received_at", "channel", "rating", "location_id", "ombudsstelle")


class _Entry(NamedTuple):
    received_at: datetime
    channel: str
    rating: int | None
    location_id: int | None
    ombudsstelle: bool
    status: Status
    close_by: datetime
    closed_at: datetime | None


def _entry(row: Any) -> _Entry:
    return _Entry(*row[:5], Status(row.status), *row[6:8])


def computed(connection: Any, progress: Callable[[int], None] = lambda n: None) -> Counter[Key]:
    """The roll-up as the rows say, streamed: reactions first, then their Anliegen."""
    f, first = _feedback, aliased(_concern)
    entries = (
        select(
            *(f.c[name] for name in ENTRY_COLUMNS),
            f.c.status,
            f.c.close_by,
            f.c.closed_at,
            first.c.feedback_id.is_not(None).label("classified"),
        )
        .select_from(f)
        .outerjoin(first, and_(first.c.feedback_id == f.c.id, first.c.position == 1))
    )
    concerns = select(
        *(f.c[name] for name in ENTRY_COLUMNS),
        f.c.status,
        f.c.close_by,
        f.c.closed_at,
        _concern.c.kind,
        _concern.c.area,
        _concern.c.topic_id,
        _concern.c.assessment,
    ).join(_concern, _concern.c.feedback_id == f.c.id)
    counts: Counter[Key] = Counter()
    for row in _stream(connection, entries):
        counts.update(reaction_keys(_entry(row), bool(row.classified)))
        progress(1)
    for row in _stream(connection, concerns):
        key = concern_key(_entry(row), row)
        if key is not None:
            counts[key] += 1
    return counts


def _stream(connection: Any, query) -> Iterator[Any]:
    result = connection.execute(query.execution_options(yield_per=BATCH))
    yield from result


def entry_count(connection: Any) -> int:
    return connection.execute(select(func.count()).select_from(_feedback)).scalar_one()


def rebuild(connection: Any, progress: Callable[[int], None] = lambda n: None) -> int:
    """Recompute the whole roll-up from feedback and concern rows; returns the number of keys.

    ``connection`` is a Session or a Connection (the migration's); the caller commits.
    """
    counts = computed(connection, progress)
    connection.execute(ReportRollup.__table__.delete())
    rows = sorted((key, n) for key, n in counts.items() if n)
    _upsert(connection, rows)
    return len(rows)


# --- the services' hooks -----------------------------------------------------------------------


def of_entry(feedback: Any) -> Counter[Key]:
    """What a loaded Feedback with its Anliegen counts now: take it before changing the entry."""
    return contribution(feedback, feedback.concerns)


def changed(session: Session, feedback: Any, before: Counter[Key]) -> None:
    """Move an entry's counts from ``before`` (``of_entry``) to what it counts now.

    Flushes first, so new Anliegen carry their topic's id.
    """
    session.flush()
    replace(session, before, of_entry(feedback))
