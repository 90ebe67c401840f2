"""Inbox latency with a large database: the queries behind one page view, timed.

    python bench/inbox.py [ROWS]        (default 1,000,000; the database is kept in bench/.data/)

Prints the median of several runs per query, beside a full ``COUNT(*)`` of the table for scale:
the inbox never runs that one on a page view.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from admin.inbox import Cursor, InboxFilter, Sort, counts, inbox_page
from admin.models import User
from bench.seed import DEFAULT_END, seed
from portal import create_app, schema
from portal.extensions import db
from portal.feedback import Feedback
from portal.vocab import Role, Status

DATA = Path(__file__).resolve().parent / ".data"
RUNS = 7
NO_PASSWORD = "!"  # noqa: S105  (never signs in: a user object for the queries only)


def database(rows: int) -> str:
    """A migrated SQLite database with ``rows`` feedback rows, built once and reused."""
    DATA.mkdir(exist_ok=True)
    path = DATA / f"inbox-{rows}.sqlite3"
    url = f"sqlite:///{path}"
    if not path.exists():
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        app = create_app({"DATABASE_URL": f"sqlite:///{partial}", "SECRET_KEY": "bench" * 8})
        schema.upgrade(app)
        with app.app_context():
            started = time.perf_counter()
            seed(db.session, rows, end=DEFAULT_END)
            print(f"seeded {rows:,} rows in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            db.engine.dispose()
        partial.rename(path)
    return url


def timed(action) -> float:
    """Median milliseconds of RUNS runs, after one warm-up."""
    action()
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main(rows: int) -> None:
    app = create_app({"DATABASE_URL": database(rows), "SECRET_KEY": "bench" * 8})
    now = DEFAULT_END
    with app.app_context():
        session = db.session
        officer = User(name="bench", password_hash=NO_PASSWORD, role=Role.KRM)
        team_id = session.scalar(select(func.min(Feedback.team_id)))
        lead = User(name="lead", password_hash=NO_PASSWORD, role=Role.TEAM, team_id=team_id)
        deep = inbox_page(session, InboxFilter(), user=officer, now=now)
        for _ in range(99):  # walk to page 100
            deep = inbox_page(
                session, InboxFilter(), user=officer, now=now, before=deep.next_cursor
            )
        cursor: Cursor = deep.next_cursor

        def page(f=None, user=officer, before=None):
            f = f or InboxFilter()
            return lambda: inbox_page(session, f, user=user, now=now, before=before)

        cases = [
            (
                "full COUNT(*) of feedback (avoided)",
                lambda: session.scalar(select(func.count()).select_from(Feedback)),
            ),
            ("counts: new and overdue", lambda: counts(session, officer, now)),
            ("first page, newest first", page()),
            ("page 101 (keyset cursor)", page(before=cursor)),
            ("filter: status neu + location", page(InboxFilter(status=Status.NEW, location_id=1))),
            (
                "filter: rating 1 + period of a month",
                page(
                    InboxFilter(
                        rating=1,
                        received_from=datetime(2026, 3, 1).date(),
                        received_to=datetime(2026, 3, 31).date(),
                    )
                ),
            ),
            ("only overdue, by deadline", page(InboxFilter(overdue=True, sort=Sort.DEADLINE))),
            ("search, the most frequent topic word", page(InboxFilter(q="Wartezeit"))),
            ("search, two words", page(InboxFilter(q="Termin Bescheid"))),
            ("search, a rare word", page(InboxFilter(q="Kaffee"))),
            ("search, a word nobody used", page(InboxFilter(q="Xylophon"))),
            ("team lead: first page of their team", page(user=lead)),
        ]
        width = max(len(name) for name, _ in cases)
        print(f"inbox with {rows:,} entries on {db.engine.dialect.name} (median of {RUNS} runs)")
        print(f"{'query':<{width}}  {'ms':>8}")
        for name, action in cases:
            print(f"{name:<{width}}  {timed(action):8.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
