"""The inbox: which entries a user may see, filtered, searched and paged by keyset.

Plain functions on a session. A team lead sees only the entries of their team, everywhere: the
list, the counts and the entry page go through ``visible_to``. Paging never uses OFFSET and a page
never counts the whole result: a cursor (sort key and id of the last row shown) continues the
list, so page 1,000 is as fast as page 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, text
from sqlalchemy.orm import Session, joinedload, selectinload

from admin.accounts.models import User
from admin.inbox.models import Concern, Note
from cards.codes import normalize as normalize_code
from cards.models import Card
from portal.deadlines import BERLIN
from portal.feedback import Feedback
from portal.search_index import catch_up
from portal.vocab import OPEN_STATUSES, Channel, Kind, Role, Status

PAGE_SIZE = 50
MAX_SEARCH_TERMS = 12
# The status filter's extra choice: everything still to be done (neu and in Bearbeitung).
OPEN = "offen"
SQLITE_MAX_ID = 2**63 - 1
MAX_ID = 2**31 - 1  # PostgreSQL's integer: a larger number names no entry
# A search that is only an entry's reference (portal.feedback.reference) or its number.
REFERENCE = re.compile(r"(?:krm\s*[-‐–]?\s*|#)?0*(\d{1,10})", re.IGNORECASE)
RECENT = 40  # pages' worth of the newest rows PostgreSQL searches before it asks the GIN index
_HIGHEST_MATCHES = text(
    "SELECT rowid FROM feedback_fts WHERE feedback_fts MATCH :fts AND rowid < :below "
    "ORDER BY rowid DESC LIMIT :size"
)
_MATCHES_FROM = text(
    "SELECT rowid FROM feedback_fts WHERE feedback_fts MATCH :fts AND rowid >= :lowest"
)


class Sort(StrEnum):
    RECEIVED = "received"  # newest first
    DEADLINE = "deadline"  # earliest closing deadline first; open entries unless a status is set


@dataclass(frozen=True)
class InboxFilter:
    status: Status | str | None = None  # a Status, OPEN, or None for all
    kind: Kind | None = None
    channel: Channel | None = None
    location_id: int | None = None
    card_code: str | None = None
    rating: int | None = None
    received_from: date | None = None  # Europe/Berlin calendar days, both inclusive
    received_to: date | None = None
    overdue: bool = False
    team_id: int | None = None  # only honoured for the KRM role
    without_team: bool = False
    q: str | None = None
    sort: Sort = Sort.RECEIVED


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the sort key (received_at or close_by) and the id of a row."""

    key: datetime
    id: int

    def __str__(self) -> str:
        return f"{self.key.astimezone(UTC).isoformat()},{self.id}"

    @classmethod
    def parse(cls, value: str | None) -> Cursor | None:
        """A cursor from a URL; anything malformed is None (the first page), never an error."""
        key, _, ident = (value or "").rpartition(",")
        try:
            moment, number = datetime.fromisoformat(key), int(ident)
        except ValueError:
            return None
        if moment.tzinfo is None:
            return None
        return cls(moment.astimezone(UTC), number)


@dataclass(frozen=True)
class Page:
    rows: list[Feedback]
    next_cursor: Cursor | None  # the following page (older, or later deadlines)
    prev_cursor: Cursor | None  # the page before (newer, or earlier deadlines)


@dataclass(frozen=True)
class Counts:
    new: int
    overdue: int


def visible_to(user: User) -> list[ColumnElement[bool]]:
    """Conditions that limit a query to what the user may see."""
    if user.role == Role.KRM:
        return []
    if user.role == Role.TEAM and user.team_id is not None:
        return [Feedback.team_id == user.team_id]
    return [false()]


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    """SQL twin of ``Feedback.overdue(now)``."""
    acknowledgement_late = and_(Feedback.acknowledge_by < now, Feedback.acknowledged_at.is_(None))
    return and_(
        Feedback.status.in_(OPEN_STATUSES), or_(Feedback.close_by < now, acknowledgement_late)
    )


def counts(session: Session, user: User, now: datetime) -> Counts:
    """Two cheap counts for the top of the inbox (status indexes), within the user's scope."""
    return Counts(
        new=_count(session, Feedback.status == Status.NEW, *visible_to(user)),
        overdue=_count(session, overdue_condition(now), *visible_to(user)),
    )


def _count(session: Session, *conditions: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count()).select_from(Feedback).where(*conditions)) or 0


def inbox_page(
    session: Session,
    inbox_filter: InboxFilter,
    *,
    user: User,
    now: datetime,
    before: Cursor | None = None,
    after: Cursor | None = None,
    limit: int = PAGE_SIZE,
) -> Page:
    """One page of the inbox: after the cursor ``before``, or the page preceding ``after``."""
    query = _query(session, inbox_filter, user, now)
    key, descending = _sort_key(inbox_filter.sort)
    if after is not None:
        rows = _fetch(session, query, key, not descending, after, limit + 1)
        if len(rows) > limit:  # there are still earlier pages
            rows = rows[:limit][::-1]
            return Page(rows, _cursor(rows[-1], key), _cursor(rows[0], key))
        before = None  # back at the start: show a full first page
    rows = _newest_matches(session, inbox_filter, user, now, before, limit + 1)
    if rows is None:
        rows = _fetch(session, query, key, descending, before, limit + 1)
    more, rows = len(rows) > limit, rows[:limit]
    return Page(
        rows,
        next_cursor=_cursor(rows[-1], key) if more else None,
        prev_cursor=_cursor(rows[0], key) if before is not None and rows else None,
    )


def _query(session: Session, f: InboxFilter, user: User, now: datetime) -> Select:
    query = select(Feedback).where(*visible_to(user), *conditions(session, f, now))
    return query.options(
        joinedload(Feedback.card), joinedload(Feedback.location), joinedload(Feedback.team)
    )


def _sort_key(sort: Sort):
    if sort == Sort.DEADLINE:
        return Feedback.close_by, False
    return Feedback.received_at, True


def _fetch(session, query: Select, key, descending: bool, cursor: Cursor | None, limit: int):
    """Rows in the given direction, strictly beyond the cursor (sort key, then id)."""
    if cursor is not None:
        query = query.where(_beyond(key, descending, cursor))
    order = (key.desc(), Feedback.id.desc()) if descending else (key.asc(), Feedback.id.asc())
    return list(session.scalars(query.order_by(*order).limit(limit)).unique())


def _beyond(key, descending: bool, cursor: Cursor) -> ColumnElement[bool]:
    if descending:
        return or_(key < cursor.key, and_(key == cursor.key, Feedback.id < cursor.id))
    return or_(key > cursor.key, and_(key == cursor.key, Feedback.id > cursor.id))


def _newest_matches(
    session: Session, f: InboxFilter, user: User, now: datetime, cursor: Cursor | None, limit: int
) -> list[Feedback] | None:
    """Newest-first search results on SQLite from the highest matching ids only, if exact.

    FTS5 hands out its matches by rowid, and ids grow with arrival, so the newest matches are
    almost always among the highest ids: asking for those first (``ORDER BY rowid DESC LIMIT``)
    spares fetching and sorting every match of a frequent word. Arrival is not reception,
    though (paper cards and Google reviews are entered with an earlier ``received_at``), so a
    window is only trusted when it is provably complete: no row below the window's lowest id
    (and beyond the cursor) was received after the window's last row (on a tie the higher id, in
    the window, comes first).
    Otherwise the window grows, and at last this is None: the caller runs the plain query.
    """
    expression = fts_query(f.q or "")
    if not expression or f.sort != Sort.RECEIVED:
        return None
    if session.get_bind().dialect.name == "postgresql":
        return _newest_text_matches(session, f, user, now, cursor, limit) if tsquery(f.q) else None
    if session.get_bind().dialect.name != "sqlite":
        return None
    below = cursor.id if cursor is not None else SQLITE_MAX_ID
    for size in (4 * limit, 64 * limit):
        found = {"fts": expression, "below": below, "size": size}
        ids = session.scalars(_HIGHEST_MATCHES, found).all()
        if len(ids) < size:  # few matches left below: the plain query is as cheap
            return None
        lowest = ids[-1]
        matches = _MATCHES_FROM.bindparams(fts=expression, lowest=lowest).columns(Feedback.id)
        query = _query(session, replace(f, q=None), user, now)
        query = query.where(Feedback.id >= lowest, _or_reference(Feedback.id.in_(matches), f.q))
        rows = _fetch(session, query, Feedback.received_at, True, cursor, limit)
        if len(rows) < limit:
            continue
        below_window = select(Feedback.received_at).where(Feedback.id < lowest)
        if cursor is not None:
            below_window = below_window.where(_beyond(Feedback.received_at, True, cursor))
        latest_below = session.scalar(
            below_window.order_by(Feedback.received_at.desc(), Feedback.id.desc()).limit(1)
        )
        if latest_below is None or latest_below <= rows[-1].received_at:
            return rows
    return None


def _newest_text_matches(
    session: Session, f: InboxFilter, user: User, now: datetime, cursor: Cursor | None, limit: int
) -> list[Feedback]:
    """Newest-first search results on PostgreSQL, exact, whatever the planner guesses.

    The planner cannot estimate a prefix query, so it walks ``received_at`` backwards and
    computes ``to_tsvector`` for every row until a page is full: fast for a frequent word,
    seconds for a word nobody used. So first only the newest rows (beyond the cursor) are
    searched; a full page from them is the answer, as every other match is older. Otherwise the
    word is rare, and its matches come from the GIN index (a materialised CTE, so it is not
    walked in time order) and are sorted.
    """
    query = _query(session, f, user, now)
    key = Feedback.received_at
    # Not the index's expression (`|| ''`), so the planner cannot swap the bounded walk through
    # the newest rows for a GIN scan of all matches (it misjudges how many there are).
    expression = tsquery(f.q or "")
    per_row = text(_text_match(_search_config(session, expression), "feedback.text || ''"))
    recent = _query(session, replace(f, q=None), user, now)
    recent = recent.where(_or_reference(per_row.bindparams(tsquery=expression), f.q))
    newest = select(key).order_by(key.desc(), Feedback.id.desc()).limit(RECENT * limit)
    if cursor is not None:
        newest = newest.where(_beyond(key, True, cursor))
    oldest_of_newest = select(func.min(newest.subquery().c.received_at)).scalar_subquery()
    rows = _fetch(session, recent.where(key >= oldest_of_newest), key, True, cursor, limit)
    if len(rows) == limit:
        return rows
    found = select(Feedback.id, key).where(*visible_to(user), *conditions(session, f, now))
    if cursor is not None:
        found = found.where(_beyond(key, True, cursor))
    matches = found.cte("matches").prefix_with("MATERIALIZED")
    top = select(matches.c.id).order_by(matches.c.received_at.desc(), matches.c.id.desc())
    return _fetch(session, query.where(Feedback.id.in_(top.limit(limit))), key, True, None, limit)


def _cursor(row: Feedback, key) -> Cursor:
    return Cursor(getattr(row, key.key), row.id)


def conditions(session: Session, f: InboxFilter, now: datetime) -> list[ColumnElement[bool]]:
    """The WHERE conditions of a filter (without the user's scope)."""
    found = [
        _status_condition(f),
        Feedback.kind == f.kind if f.kind else None,
        Feedback.channel == f.channel if f.channel else None,
        Feedback.location_id == f.location_id if f.location_id else None,
        _card_condition(f.card_code) if f.card_code else None,
        Feedback.rating == f.rating if f.rating else None,
        Feedback.received_at >= _day_start(f.received_from) if f.received_from else None,
        Feedback.received_at < _day_start(f.received_to + timedelta(1)) if f.received_to else None,
        overdue_condition(now) if f.overdue else None,
        Feedback.team_id == f.team_id if f.team_id else None,
        Feedback.team_id.is_(None) if f.without_team else None,
        search_condition(session, f.q) if f.q else None,
    ]
    return [condition for condition in found if condition is not None]


def _status_condition(f: InboxFilter) -> ColumnElement[bool] | None:
    if f.status == OPEN or (f.status is None and f.sort == Sort.DEADLINE):
        return Feedback.status.in_(OPEN_STATUSES)
    if f.status:
        return Feedback.status == Status(f.status)
    return None


def _card_condition(code: str) -> ColumnElement[bool]:
    canonical = normalize_code(code) or code
    return Feedback.card_id == select(Card.id).where(Card.code == canonical).scalar_subquery()


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), BERLIN).astimezone(UTC)


def search_condition(session: Session, q: str) -> ColumnElement[bool] | None:
    """The text search, and the entry with that id if ``q`` is a reference or a number."""
    matches = text_condition(session, q)  # a reference has a digit, so it is a word
    return None if matches is None else _or_reference(matches, q)


def reference_id(q: str) -> int | None:
    """The entry id a search names: ``KRM-42``, ``krm 42``, ``KRM 42``, ``#42`` or ``42``."""
    match = REFERENCE.fullmatch(q.strip())
    if match is None or int(match.group(1)) > MAX_ID:
        return None
    return int(match.group(1))


def _or_reference(matches: ColumnElement[bool], q: str | None) -> ColumnElement[bool]:
    ident = reference_id(q or "")
    return matches if ident is None else or_(Feedback.id == ident, matches)


def text_condition(session: Session, q: str) -> ColumnElement[bool] | None:
    """Full-text search: FTS5 on SQLite (brought up to date first), the GIN text index on
    PostgreSQL, LIKE elsewhere.

    Both indexes ignore case and diacritics and match every typed word as a prefix, all words
    required; PostgreSQL also finds other forms of a word (German stemming), and matches a
    query of stop words only ("die"), which German stemming reduces to nothing, word for word.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        expression = fts_query(q)
        if not expression:
            return None
        catch_up(session)  # the newest entries may not be indexed yet
        matches = text("SELECT rowid FROM feedback_fts WHERE feedback_fts MATCH :fts")
        return Feedback.id.in_(matches.bindparams(fts=expression).columns(Feedback.id))
    if dialect == "postgresql":
        expression = tsquery(q)
        if not expression:
            return None
        condition = _text_match(_search_config(session, expression), "feedback.text")
        return text(condition).bindparams(tsquery=expression)
    words = q.strip()
    if not words:
        return None
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return Feedback.text.ilike(f"%{escaped}%", escape="\\")


def _text_match(config: str, document: str) -> str:
    """A tsquery match; with ``krm_german`` and ``feedback.text`` literally the expression of
    the index ix_feedback_text_search (migration 0002)."""
    vector = f"to_tsvector('{config}'::regconfig, {document})"
    return f"{vector} @@ to_tsquery('{config}'::regconfig, :tsquery)"


def _search_config(session: Session, expression: str) -> str:
    """``krm_german``, or ``simple`` when German drops every word (stop words such as "die").

    Decided once per session and query: the choice must be a literal of the SQL, or the planner
    cannot match the GIN index's expression. The ``simple`` match has no index, so only the walk
    through the newest rows is quick; stop words are frequent, so it nearly always fills a page.
    """
    known = session.info.setdefault("krm_search_config", {})
    if expression not in known:
        german = text("SELECT numnode(to_tsquery('krm_german'::regconfig, :tsquery))")
        nodes = session.scalar(german.bindparams(tsquery=expression))
        known[expression] = "krm_german" if nodes else "simple"
    return known[expression]


def fts_query(q: str) -> str:
    """Typed words as FTS5 prefix phrases: ``Wartezeit Büro`` → ``"Wartezeit"* "Büro"*``.

    Every word is quoted (inner quotes doubled), so FTS5 operators a user types (``AND``, ``-``,
    ``*``, ``NEAR(``, quotes) are plain text and never a syntax error. Words without a letter or
    digit would be empty phrases that match nothing; they are left out.
    """
    words = [word for word in q.split() if any(char.isalnum() for char in word)]
    return " ".join('"' + word.replace('"', '""') + '"*' for word in words[:MAX_SEARCH_TERMS])


def tsquery(q: str) -> str:
    """Typed words as a PostgreSQL prefix query: ``Wartezeit Büro!`` → ``Wartezeit:* & Büro:*``.

    Only runs of letters and digits are kept, so nothing a user types is tsquery syntax. A number
    also matches its signed form: PostgreSQL's parser reads ``KRM-42`` as ``krm`` and ``-42``,
    where SQLite's tokenizer sees ``42`` (``42:*`` → ``(42:* | -42:*)``).
    """
    words = re.findall(r"[^\W_]+", q)[:MAX_SEARCH_TERMS]
    return " & ".join(
        f"({word}:* | -{word}:*)" if word.isascii() and word.isdigit() else f"{word}:*"
        for word in words
    )


def visible_entry(session: Session, entry_id: int, user: User) -> Feedback | None:
    """The entry with everything its page shows, or None if it does not exist for this user."""
    query = (
        select(Feedback)
        .where(Feedback.id == entry_id, *visible_to(user))
        .options(
            joinedload(Feedback.card).joinedload(Card.location),
            joinedload(Feedback.location),
            joinedload(Feedback.team),
            selectinload(Feedback.concerns).joinedload(Concern.topic),
            selectinload(Feedback.notes).joinedload(Note.author),
        )
    )
    return session.scalars(query).unique().first()
