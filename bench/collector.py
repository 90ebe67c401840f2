"""The collector (``POST /submit``) under gunicorn, against a bare handler and the durable floor.

Four gunicorn servers run side by side with identical settings (``GUNICORN`` below: the sync
workers of ``docs/deploy-static.md``, one per core, and the rest of ``gunicorn.conf.py``, its
access log included): the bare app of ``bench/bare.py`` (one POST route answering 303); the
durable floor of ``bench/floor.py`` (a bare Flask handler that INSERTs the text with raw
``sqlite3`` in WAL mode with ``synchronous=FULL`` and commits); the real collector with rate
limiting off (``KRM_RATELIMIT_ENABLED=false``, so every request is a stored submission); and the
real collector with its default limits on ``memory://`` storage. Memory storage counts per
worker, so each worker accepts its first 5 submissions a minute and refuses every further one
with the 429 page: that run measures the cost of a refusal. The collector writes to a real SQLite
database migrated by the app's migrations, in WAL mode with full sync, the floor to a database of
its own; both on the disk under ``bench/.data``. Worker recycling (``max_requests`` in
``gunicorn.conf.py``) is turned off for all four: a new worker of the real app spends about a
second of CPU importing it, which at these rates would be paid every few seconds and measure the
start-up instead of the requests.

The load comes from ``wrk`` (``/usr/bin/wrk``, Debian package ``wrk``): a C event loop on one
thread, so the load generator takes as little as possible of the CPU the servers need (a Python
load generator on a two-core machine would compete with the workers for it). ``BENCH_CONNECTIONS``
clients (default 8) post a realistic form (rating, kind, area, a 200-character text) over
keep-alive connections (the sync worker closes each after its response, the same for all three)
for ``BENCH_SECONDS`` (default 6) per run. The four servers take turns for ``BENCH_ROUNDS``
rounds (default 5), each after a short warm-up, and the median of the rounds is kept. Ratios are
relative speed: the collector's throughput divided by the floor's, the refusal's divided by the
bare handler's (1.0 = as fast, 0.5 = half as fast); latency ratios likewise, the yardstick's
latency divided by ours. Each ratio is the median of the rounds' ratios, and within a round each
server runs right after its yardstick, so the machine's load and the shared disk's speed, which
change from minute to minute on a shared machine, are nearly the same for both.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, func, select

from bench.common import DATA, SECRET, Figure, Section, isolate_instance, size
from portal import create_app, schema
from portal.feedback import Feedback
from tests.servers import free_port, stop, wait_for_port

WORKERS = os.cpu_count() or 2
GUNICORN = ["--workers", str(WORKERS), "--worker-class", "sync", "--keep-alive", "2"]
GUNICORN += ["--backlog", "2048", "--timeout", "60", "--max-requests", "0"]
FORM = {
    "lang": "de",
    "rating": "2",
    "kind": "kritik",
    "area": "organisation",
    "text": (
        "Ich habe heute über eine Stunde im Wartebereich gesessen, obwohl ich einen Termin hatte. "
        "Niemand hat Bescheid gesagt, dass es später wird. Bitte sagen Sie es beim Empfang an."
    ),
}
SCRIPT = """
-- Every body differs (a run prefix and a counter end the text): the collector drops duplicates.
local counter = 0
local prefix = ""
local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
init = function(args) prefix = args[1] end
request = function()
  counter = counter + 1
  return wrk.format("POST", nil, headers, "%s+" .. prefix .. "-" .. counter)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    refused: int  # answers with a status of 400 or more (wrk counts them as errors)
    failed: int  # socket errors and timeouts
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is not installed: apt-get install wrk (make bench does it as root)")
    return found


@contextlib.contextmanager
def gunicorn(app: str, env: dict[str, str], folder: Path) -> Iterator[str]:
    """A gunicorn with the benchmark's settings on a free port; yields the ``/submit`` URL."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", *GUNICORN, "--bind", f"127.0.0.1:{port}", app]
    log = (folder / f"gunicorn-{port}.log").open("wb")
    process = subprocess.Popen(
        command, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_for_port(port, process, timeout=30)
        yield f"http://127.0.0.1:{port}/submit"
    finally:
        stop(process, timeout=30)
        log.close()


def load(url: str, script: Path, seconds: int, connections: int) -> Load:
    command = [wrk(), "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    done = subprocess.run(
        [*command, "-s", str(script), url, "--", secrets.token_hex(4)],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    requests, micros, refused, failed, p50, p99 = (int(part) for part in line.split()[1:])
    return Load(requests, micros / 1e6, refused, failed, p50 / 1000, p99 / 1000)


def migrated_database(path: Path) -> str:
    url = f"sqlite:///{path}"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET})
    schema.upgrade(app)
    with app.app_context():
        from portal.extensions import db

        db.engine.dispose()
    return url


def median_load(loads: list[Load]) -> Load:
    def mid(values) -> float:
        return statistics.median(values)

    return Load(
        requests=int(mid([x.requests for x in loads])),
        seconds=mid([x.seconds for x in loads]),
        refused=int(mid([x.refused for x in loads])),
        failed=int(mid([x.failed for x in loads])),
        p50_ms=mid([x.p50_ms for x in loads]),
        p99_ms=mid([x.p99_ms for x in loads]),
    )


def ratio(name: str, value: float, goal: float | None = None) -> Figure:
    return Figure(name, value, "", goal, True, 2)


def run() -> Section:
    seconds = size("BENCH_SECONDS", 6)
    connections = size("BENCH_CONNECTIONS", 8)
    rounds = size("BENCH_ROUNDS", 5)
    DATA.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="collector-", dir=DATA) as name:
        folder = Path(name)
        isolate_instance(folder / "instance")
        script = folder / "post.lua"
        script.write_text(SCRIPT % urlencode(FORM))
        url = migrated_database(folder / "krm.sqlite3")
        common = {"KRM_SECRET_KEY": SECRET, "KRM_DATABASE_URL": url, "KRM_ENV": "production"}
        common["KRM_PUBLIC_BASE_URL"] = "http://127.0.0.1"
        floor = {"BENCH_FLOOR_DATABASE": str(folder / "floor.sqlite3")}
        servers = {  # in the order of a round: each yardstick right before what it measures
            "bare": ("bench.bare:app", {}),
            "refusal": ("portal:create_app()", {**common, "KRM_RATELIMIT_ENABLED": "true"}),
            "floor": ("bench.floor:app", floor),
            "collector": ("portal:create_app()", {**common, "KRM_RATELIMIT_ENABLED": "false"}),
        }
        results: dict[str, list[Load]] = {key: [] for key in servers}
        with contextlib.ExitStack() as stack:
            urls = {
                key: stack.enter_context(gunicorn(app, env, folder))
                for key, (app, env) in servers.items()
            }
            for _ in range(rounds):
                for key, target in urls.items():
                    load(target, script, 2, connections)  # warm-up; uses up the limits
                    results[key].append(load(target, script, seconds, connections))
        engine = create_engine(url)
        with engine.connect() as connection:
            stored = connection.scalar(select(func.count()).select_from(Feedback))
        engine.dispose()
    bare, refusal, durable, app = (median_load(results[key]) for key in servers)
    accepted = sum(x.requests - x.refused for x in results["collector"])

    def paired(ours: str, yardstick: str, speed) -> float:
        """The median over the rounds of our speed relative to the yardstick's in that round."""
        pairs = zip(results[ours], results[yardstick], strict=True)
        return statistics.median(speed(x, y) for x, y in pairs)

    def throughput(x: Load, y: Load) -> float:
        return x.per_second / y.per_second

    def p50(x: Load, y: Load) -> float:
        return y.p50_ms / x.p50_ms

    def p99(x: Load, y: Load) -> float:
        return y.p99_ms / x.p99_ms

    figures = [
        Figure("bare Flask handler: throughput", bare.per_second, "req/s", digits=0),
        Figure("durable floor: throughput", durable.per_second, "req/s", digits=0),
        Figure("collector: throughput", app.per_second, "req/s", digits=0),
        ratio("collector ÷ floor: throughput", paired("collector", "floor", throughput), 0.8),
        ratio("collector ÷ floor: p50 latency", paired("collector", "floor", p50)),
        ratio("collector ÷ floor: p99 latency", paired("collector", "floor", p99)),
        Figure("refusal (429): throughput", refusal.per_second, "req/s", digits=0),
        ratio("refusal ÷ bare: throughput", paired("refusal", "bare", throughput), 0.8),
        ratio("refusal ÷ bare: p50 latency", paired("refusal", "bare", p50)),
    ]
    details = [
        f"gunicorn {' '.join(GUNICORN)}; wrk -t1 -c{connections}, {seconds} s per run, "
        f"median of {rounds} rounds.",
        "",
        "| server | req/s | p50 ms | p99 ms | answers ≥ 400 | socket errors |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    rows = (("bare handler", bare), ("collector, limited", refusal))
    for key, x in (*rows, ("durable floor", durable), ("collector", app)):
        details.append(
            f"| {key} | {x.per_second:,.0f} | {x.p50_ms:.1f} | {x.p99_ms:.1f} | "
            f"{x.refused:,} of {x.requests:,} | {x.failed} |"
        )
    for ours, yardstick in (("collector", "floor"), ("refusal", "bare")):
        pairs = zip(results[ours], results[yardstick], strict=True)
        each = ", ".join(f"{throughput(x, y):.2f}" for x, y in pairs)
        details += ["", f"{ours} ÷ {yardstick}, throughput of each round: {each}."]
    details += [
        "",
        f"The collector stored {stored:,} submissions in SQLite ({accepted:,} answered with 303 "
        "in the measured runs, the rest in warm-ups and in the limited server's first minute).",
    ]
    return Section("Collector", figures, details)
