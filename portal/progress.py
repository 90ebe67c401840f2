"""Progress of long commands: a bar on a terminal, a few plain lines in a log (cron).

Every long ``krm`` command passes ``progress`` to its service as ``track``; services call
``track(label, total)`` and ``advance(n)`` and default to ``quiet``, so they stay free of terminal
concerns (the views and the tests show nothing).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TextIO, TypeVar

import click

STEPS = 10  # plain lines: one per tenth done
T = TypeVar("T")


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


# How services take progress: ``track(label, total)`` as a context manager yielding ``advance``.
Track = Callable[[str, int], AbstractContextManager[Callable[[int], None]]]


@contextmanager
def quiet(_label: str, _total: int) -> Iterator[Callable[[int], None]]:
    """No progress shown: the default of every service (the views, the tests)."""
    yield lambda n=1: None


def counted(items: Iterable[T], advance: Callable[[int], None]) -> Iterator[T]:
    """``items`` as they are, advancing by one for each."""
    for item in items:
        yield item
        advance(1)
