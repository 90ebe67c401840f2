"""Inbox, search and annual report with a large database, on SQLite and on PostgreSQL.

``BENCH_ROWS`` reactions (default 1,000,000) over two years, inserted in bulk by ``bench/seed.py``
(ids in the order received, 3 % of the entries back-dated by up to four weeks as paper cards and
Google reviews are) into a database migrated by the app's own migrations
(``portal.schema.upgrade``): SQLite kept in ``bench/.data/`` and reused (migrated to the current
schema first), PostgreSQL in a throwaway cluster (``tests.servers.postgres``, fsync off) seeded
afresh each run and then ``VACUUM ANALYZE``d, as autovacuum would do after a bulk load.
``BENCH_ENGINES`` picks the engines (default ``sqlite,postgresql``).

Each case calls the functions the admin views call (``admin.inbox.inbox_page`` and ``counts``,
``admin.reports.annual_report``) and is timed as the median of 7 runs after a warm-up (the annual
report: of 3). The headline figures are the slowest of their group: "inbox page" covers the two
counts at the top, the first page, page 101 through the keyset cursor, the filters and a team
lead's view; "search" covers the four searches; search goes through ``admin.inbox.query``, so it
measures whatever full-text search the code has for each engine.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date

from sqlalchemy import func, select, text

from admin.accounts.models import User
from admin.inbox.query import Cursor, InboxFilter, Sort, counts, inbox_page
from admin.reports.figures import annual_report
from bench.common import DATA, Figure, Section, app_config, isolate_instance, median_ms, size
from bench.seed import DEFAULT_END, seed
from portal import create_app, schema
from portal.extensions import db
from portal.feedback import Feedback
from portal.vocab import Role, Status
from tests.servers import postgres, postgres_bin

NO_PASSWORD = "!"  # noqa: S105  (never signs in: a user object for the queries only)
REPORT_YEAR = 2026
PAGE, SEARCH, REPORT, SCALE = "inbox page", "search", "annual report", "scale"
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def sqlite_database(rows: int) -> str:
    """A migrated SQLite database with ``rows`` feedback rows, built once and reused."""
    DATA.mkdir(exist_ok=True)
    path = DATA / f"inbox-{rows}.sqlite3"
    partial = path.with_suffix(".partial")
    while not path.exists() and partial.exists() and time.time() - partial.stat().st_mtime < 300:
        time.sleep(10)  # another run is seeding it right now
    if not path.exists():
        partial.unlink(missing_ok=True)
        _seeded(f"sqlite:///{partial}", rows)
        partial.rename(path)
    url = f"sqlite:///{path}"
    schema.upgrade(create_app(app_config(url)))  # a database kept from an older branch
    return url


@contextlib.contextmanager
def postgres_database(rows: int) -> Iterator[str]:
    with postgres(fast=True) as url:
        _seeded(url, rows)
        yield url


def _seeded(url: str, rows: int) -> None:
    app = create_app(app_config(url))
    schema.upgrade(app)
    with app.app_context():
        started = time.perf_counter()
        seed(db.session, rows, end=DEFAULT_END)
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        seconds = time.perf_counter() - started
        print(
            f"seeded {rows:,} rows into {db.engine.dialect.name} in {seconds:.0f} s",
            file=sys.stderr,
        )
        db.engine.dispose()


def cases(session, now) -> list[tuple[str, str, Callable[[], object]]]:
    """(group, name, action) for every timed query."""
    officer = User(name="bench", password_hash=NO_PASSWORD, role=Role.KRM)
    team_id = session.scalar(select(func.min(Feedback.team_id)))
    lead = User(name="lead", password_hash=NO_PASSWORD, role=Role.TEAM, team_id=team_id)
    deep = inbox_page(session, InboxFilter(), user=officer, now=now)
    for _ in range(99):  # walk to page 100
        deep = inbox_page(session, InboxFilter(), user=officer, now=now, before=deep.next_cursor)
    cursor: Cursor = deep.next_cursor

    def page(f=None, user=officer, before=None):
        f = f or InboxFilter()
        return lambda: inbox_page(session, f, user=user, now=now, before=before)

    month = InboxFilter(rating=1, received_from=date(2026, 3, 1), received_to=date(2026, 3, 31))
    return [
        (
            SCALE,
            "full COUNT(*) of feedback (never on a page view)",
            lambda: session.scalar(select(func.count()).select_from(Feedback)),
        ),
        (PAGE, "counts: new and overdue", lambda: counts(session, officer, now)),
        (PAGE, "first page, newest first", page()),
        (PAGE, "page 101 (keyset cursor)", page(before=cursor)),
        (
            PAGE,
            "filter: status neu + location",
            page(InboxFilter(status=Status.NEW, location_id=1)),
        ),
        (PAGE, "filter: rating 1 + a month", page(month)),
        (PAGE, "only overdue, by deadline", page(InboxFilter(overdue=True, sort=Sort.DEADLINE))),
        (PAGE, "team lead: first page of their team", page(user=lead)),
        (SEARCH, "search: the most frequent topic word", page(InboxFilter(q="Wartezeit"))),
        (SEARCH, "search: two words", page(InboxFilter(q="Termin Bescheid"))),
        (SEARCH, "search: a rare word", page(InboxFilter(q="Kaffee"))),
        (SEARCH, "search: a word nobody used", page(InboxFilter(q="Xylophon"))),
        (REPORT, f"annual report {REPORT_YEAR}", lambda: annual_report(session, REPORT_YEAR, now)),
    ]


def measure(url: str) -> list[tuple[str, str, float]]:
    app = create_app(app_config(url))
    with app.app_context():
        found = [
            (group, name, median_ms(action, runs=3 if group == REPORT else 7))
            for group, name, action in cases(db.session, DEFAULT_END)
        ]
        db.session.rollback()
        db.engine.dispose()
    return found


def run() -> Section:
    rows = size("BENCH_ROWS", 1_000_000)
    engines = os.environ.get("BENCH_ENGINES", "sqlite,postgresql").split(",")
    isolate_instance(DATA / "instance")
    timings: dict[str, list[tuple[str, str, float]]] = {}
    skipped = []
    for engine in engines:
        if engine == "postgresql" and postgres_bin() is None:
            skipped.append("PostgreSQL is not installed (apt-get install postgresql): skipped.")
        elif engine == "sqlite":
            timings[engine] = measure(sqlite_database(rows))
        else:
            with postgres_database(rows) as url:
                timings[engine] = measure(url)
    figures = []
    for engine, found in timings.items():
        label = ENGINE_NAMES[engine]
        for group, goal, suffix in (
            (PAGE, 100, ", slowest view"),
            (SEARCH, 100, ", slowest"),
            (REPORT, 1000, ""),
        ):
            slowest = max(ms for g, _, ms in found if g == group)
            figures.append(Figure(f"{group}{suffix}, {rows:,} rows, {label}", slowest, "ms", goal))
    title = f"Inbox, search and annual report ({rows:,} rows)"
    if not timings:
        return Section(title, [], skipped)
    names = [name for _, name, _ in next(iter(timings.values()))]
    header = " | ".join(ENGINE_NAMES[e] + " ms" for e in timings)
    details = [f"| query | {header} |", "|---|" + "--:|" * len(timings)]
    for i, name in enumerate(names):
        values = " | ".join(f"{found[i][2]:,.1f}" for found in timings.values())
        details.append(f"| {name} | {values} |")
    details += skipped
    return Section(title, figures, details)
