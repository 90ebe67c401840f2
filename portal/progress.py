"""Progress of long commands: a bar on a terminal, a few plain lines in a log (cron).

Every long ``krm`` command uses ``progress``; the work itself takes the ``advance`` callback it
yields (a plain function, default a no-op), so services stay free of terminal concerns.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

import click

STEPS = 10  # plain lines: one per tenth done


@contextmanager
def progress(
    label: str, total: int, *, tty: bool | None = None, stream: TextIO | None = None
) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n)``; shows ``label`` with a bar on a terminal, else lines per tenth.

    ``tty`` overrides what ``stream`` (default: standard error) says it is.
    """
    stream = stream or sys.stderr
    if tty is None:
        tty = stream.isatty()
    if tty:
        with click.progressbar(length=max(total, 1), label=label, file=stream) as bar:
            yield bar.update
            bar.update(max(total, 1) - bar.pos)  # end at 100 % when the total was an estimate
        return
    done, shown = 0, -1

    def line(count: int) -> None:
        percent = min(count * 100 // total, 100) if total else 100
        click.echo(f"{label}: {count:,} of {total:,} ({percent} %)", file=stream)

    def advance(n: int = 1) -> None:
        nonlocal done, shown
        done += n
        step = min(done * STEPS // total, STEPS) if total else STEPS
        if step > shown and step < STEPS:
            shown = step
            line(done)

    line(0)
    shown = 0
    yield advance
    click.echo(f"{label}: {done:,} done", file=stream)
