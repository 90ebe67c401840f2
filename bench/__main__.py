"""``make bench`` / ``python -m bench [PART ...]``: run the benchmarks, print one table.

Parts: collector, freeze, export, inbox, privacy, scan (all of them by default, in that order).
A run of all parts also writes ``docs/performance.md``: the table, the machine, how each figure is
measured (the parts' docstrings) and what profiling found (``bench/findings.md``). Sizes come from
environment variables (``BENCH_ROWS``, ``BENCH_EXPORT_ROWS``, ``BENCH_CARDS``, ``BENCH_SECONDS`` …,
see each part), so a quick run is ``make bench BENCH_ROWS=100000``.
"""

from __future__ import annotations

import importlib
import inspect
import os
import platform
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.common import Section, table

PARTS = ("collector", "freeze", "export", "inbox", "privacy", "scan")
ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"
FINDINGS = Path(__file__).resolve().parent / "findings.md"


def machine() -> list[str]:
    from tests.servers import postgres_bin

    binaries = postgres_bin()
    postgres = "not installed"
    if binaries is not None:
        postgres = subprocess.run(
            [str(binaries / "postgres"), "--version"], capture_output=True, text=True
        ).stdout.strip()
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return [
        f"- {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}; "
        f"load average at the end of the run: {load} (the machine is shared)",
        f"- Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {postgres}",
    ]


def document(sections: list[Section], parts: list[str], started: datetime) -> str:
    figures = [figure for section in sections for figure in section.figures]
    lines = [
        "# Performance",
        "",
        "Written by `make bench` (`python -m bench`); every figure below comes from the one run "
        f"started {started:%Y-%m-%d %H:%M} UTC. Run it again to refresh this file.",
        "",
        *machine(),
        "",
        "## Figures",
        "",
        *table(figures),
        "",
    ]
    for section, part in zip(sections, parts, strict=True):
        module = importlib.import_module(f"bench.{part}")
        lines += [f"## {section.title}", "", inspect.cleandoc(module.__doc__ or ""), ""]
        lines += [*section.details, ""]
    if FINDINGS.exists():
        lines += [FINDINGS.read_text().rstrip(), ""]
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    parts = argv or list(PARTS)
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        sys.exit(f"unknown part {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    started = datetime.now(UTC)
    sections = []
    for part in parts:
        print(f"running {part} …", file=sys.stderr, flush=True)
        sections.append(importlib.import_module(f"bench.{part}").run())
    print("\n".join(table([figure for section in sections for figure in section.figures])))
    for section in sections:
        print(f"\n{section.title}\n" + "\n".join(section.details))
    if parts == list(PARTS):
        DOC.write_text(document(sections, parts, started))
        print(f"\nwritten to {DOC.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
