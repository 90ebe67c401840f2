"""A skipped test fails the run, unless ``KRM_ALLOW_SKIPS=1`` allows it (docs/development.md).

The rule holds for every run, the whole suite or one module or ``-k``: a test that is deselected
is not skipped, and a skip always means a test did not run that the run claims to cover
(typically a server's package is missing). Hooks for ``tests/conftest.py``, which imports them.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest

ALLOW = "KRM_ALLOW_SKIPS"
_SKIPPED = pytest.StashKey[Counter]()


def _reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    """Count the skips (of tests and of whole modules) and fail an otherwise green run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    reports = reporter.stats.get("skipped", []) if reporter is not None else []
    skipped = Counter(_reason(report) for report in reports)
    session.config.stash[_SKIPPED] = skipped
    if skipped and os.environ.get(ALLOW) != "1" and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = config.stash.get(_SKIPPED, Counter())
    if not skipped or os.environ.get(ALLOW) == "1":
        return
    total = sum(skipped.values())
    terminalreporter.section("skipped tests are errors", sep="=", red=True, bold=True)
    for reason, count in skipped.most_common():
        terminalreporter.line(f"{count} skipped: {reason}")
    terminalreporter.line(
        f"{total} skipped test(s) fail this run: every test must run. Install what they need "
        "(`make test` does as root; .ci/system-packages prints the apt-get line), or allow "
        f"skips with {ALLOW}=1."
    )
