"""Progress of long commands (portal/progress.py): a bar on a terminal, plain lines in a log."""

from __future__ import annotations

import io
import os
import pty
import select

from portal.progress import counted, progress, quiet


def test_not_on_a_terminal_it_writes_a_line_per_tenth_and_one_at_the_end():
    stream = io.StringIO()
    with progress("Work", 20, stream=stream) as advance:
        for _ in range(20):
            advance(1)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "Work: 0 of 20 (0 %)"
    assert lines[1] == "Work: 2 of 20 (10 %)"
    assert lines[-2] == "Work: 18 of 20 (90 %)"
    assert lines[-1] == "Work: 20 done"
    assert len(lines) == 11


def test_big_steps_and_an_empty_total_still_end_with_a_line():
    stream = io.StringIO()
    with progress("Purge", 1000, stream=stream) as advance:
        advance(500)
        advance(500)
    assert stream.getvalue().splitlines() == [
        "Purge: 0 of 1,000 (0 %)",
        "Purge: 500 of 1,000 (50 %)",
        "Purge: 1,000 done",
    ]
    empty = io.StringIO()
    with progress("Nothing", 0, stream=empty):
        pass
    assert empty.getvalue().splitlines() == ["Nothing: 0 of 0 (100 %)", "Nothing: 0 done"]


def read_all(fd: int) -> str:
    chunks = []
    while select.select([fd], [], [], 0.5)[0]:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the other end is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode()


def test_on_a_terminal_it_draws_a_bar_to_100_percent():
    leader, follower = pty.openpty()
    with os.fdopen(follower, "w") as terminal:
        with progress("Freezing pages", 40, stream=terminal) as advance:
            for _ in range(30):  # an estimate that was too high: the bar still ends full
                advance(1)
        terminal.flush()
        shown = read_all(leader)
    os.close(leader)
    assert "Freezing pages" in shown
    assert "[####" in shown and "100%" in shown
    assert "of 40" not in shown  # no plain lines on a terminal


def test_a_tty_can_be_forced_off_and_services_default_to_quiet():
    stream = io.StringIO()
    with progress("Work", 2, stream=stream, tty=False) as advance:
        assert list(counted(["a", "b"], advance)) == ["a", "b"]
    assert stream.getvalue().splitlines()[-1] == "Work: 2 done"
    with quiet("Work", 2) as advance:
        advance(5)  # shows nothing, fails nothing
