"""What every benchmark shares: figures with goals, sizes from the environment, timing, apps."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / ".data"
SECRET = "bench-secret-key-not-for-production-0123456789"  # noqa: S105


@dataclass(frozen=True)
class Figure:
    """One line of the table: a measured value and, where the issue sets one, its goal."""

    name: str
    value: float
    unit: str
    goal: float | None = None
    higher_is_better: bool = False
    digits: int = 1

    @property
    def met(self) -> bool | None:
        if self.goal is None:
            return None
        return self.value >= self.goal if self.higher_is_better else self.value < self.goal

    def shown(self, value: float | None = None) -> str:
        value = self.value if value is None else value
        return f"{value:,.{self.digits}f} {self.unit}".strip()

    @property
    def goal_text(self) -> str:
        if self.goal is None:
            return ""
        return ("≥ " if self.higher_is_better else "< ") + self.shown(self.goal)

    @property
    def met_text(self) -> str:
        return {None: "", True: "yes", False: "NO"}[self.met]


@dataclass
class Section:
    """What one benchmark module measured: its figures and a few lines of detail for the doc."""

    title: str
    figures: list[Figure] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # Markdown lines


def size(name: str, default: int) -> int:
    """A size from the environment (``BENCH_ROWS=100000``), so a quick run is one variable away."""
    value = os.environ.get(name, "").replace("_", "").replace(",", "")
    return int(value) if value else default


def median_ms(action: Callable[[], Any], runs: int = 7) -> float:
    """Median milliseconds of ``runs`` runs after one warm-up; 3 runs if the warm-up took > 1 s."""
    started = time.perf_counter()
    action()
    if time.perf_counter() - started > 1:
        runs = min(runs, 3)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def app_config(database_url: str, **overrides: Any) -> dict[str, Any]:
    return {"DATABASE_URL": database_url, "SECRET_KEY": SECRET, **overrides}


def isolate_instance(folder: Path) -> None:
    """Keep the developer's ``instance/`` and ``KRM_*`` settings out of the measurement."""
    for name in list(os.environ):
        if name.startswith("KRM_"):
            del os.environ[name]
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["KRM_INSTANCE_PATH"] = str(folder)


def table(figures: list[Figure]) -> list[str]:
    """A Markdown table, readable as plain text too."""
    rows = [(f.name, f.shown(), f.goal_text, f.met_text) for f in figures]
    header = ("figure", "value", "goal", "met")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]

    def line(cells) -> str:
        padded = [
            cell.rjust(width) if i == 1 else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (w + 1) + (":" if i == 1 else "-") for i, w in enumerate(widths))
    return [line(header), rule + "|", *(line(row) for row in rows)]
