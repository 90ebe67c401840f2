"""``krm export`` of one large week: wall-clock time and peak memory of the real command.

``BENCH_EXPORT_ROWS`` reactions (default 50,000), received within ISO week 2026-W47 and inserted
by ``bench/seed.py`` (with Anliegen on the closed ones), in a migrated SQLite database kept in
``bench/.data/``. Each format runs once as its own process, exactly as an operator or cron runs
it (``krm export --week 2026-W47 --format xlsx --out …``); the figures are that process's wall
time and its peak resident set size (``ru_maxrss`` from ``wait4``), which counts everything the
process holds: the interpreter, the app, SQLAlchemy's buffers and the writer's. For scale, the
same command on a week without reactions gives the floor that any export pays.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bench.common import DATA, Figure, Section, app_config, isolate_instance, size
from bench.seed import seed
from portal import create_app, schema
from portal.extensions import db

WEEK = "2026-W47"
EMPTY_WEEK = "2020-W10"
KRM = [sys.executable, "-c", "from portal.cli import main; main()"]


def database(rows: int) -> str:
    """A migrated SQLite database with ``rows`` reactions in ``WEEK``, built once and reused."""
    from admin.export.service import Week

    DATA.mkdir(exist_ok=True)
    path = DATA / f"export-{rows}.sqlite3"
    if not path.exists():
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        app = create_app(app_config(f"sqlite:///{partial}"))
        schema.upgrade(app)
        with app.app_context():
            seed(db.session, rows, end=Week.parse(WEEK).end, days=7)
            db.engine.dispose()
        partial.rename(path)
    url = f"sqlite:///{path}"
    schema.upgrade(create_app(app_config(url)))  # a database kept from an older branch
    return url


def export(url: str, week: str, format_: str, out: Path) -> tuple[float, float]:
    """Seconds and peak RSS in MB of one ``krm export`` process."""
    env = {**os.environ, "KRM_DATABASE_URL": url, "KRM_SECRET_KEY": app_config(url)["SECRET_KEY"]}
    command = [*KRM, "export", "--week", week, "--format", format_, "--out", str(out)]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"{' '.join(command)} exited with {process.returncode}")
    return seconds, usage.ru_maxrss / 1024  # KiB on Linux


def run() -> Section:
    rows = size("BENCH_EXPORT_ROWS", 50_000)
    isolate_instance(DATA / "instance")
    url = database(rows)
    figures, details = [], []
    out = DATA / "export-out"
    out.mkdir(exist_ok=True)
    _, floor = export(url, EMPTY_WEEK, "csv", out / "empty.csv")
    for format_ in ("xlsx", "csv"):
        target = out / f"week.{format_}"
        seconds, peak = export(url, WEEK, format_, target)
        figures.append(
            Figure(f"export {rows:,} reactions, {format_.upper()}: time", seconds, "s", 10)
        )
        figures.append(
            Figure(f"export {rows:,} reactions, {format_.upper()}: peak RSS", peak, "MB", 200)
        )
        details.append(f"{format_.upper()}: {target.stat().st_size / 1e6:.1f} MB written.")
    details.append(f"The same command for an empty week peaks at {floor:.0f} MB (the floor).")
    return Section("Export", figures, details)
