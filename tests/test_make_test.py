"""`make test` is the whole set-up: system packages (.ci/system-packages) and no skipped test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / ".ci" / "system-packages"

HOOKS = "from tests.no_skips import pytest_sessionfinish, pytest_terminal_summary  # noqa\n"
TESTS = """\
import pytest

def test_runs():
    pass

@pytest.mark.skipif(True, reason="Chromium is not installed")
def test_needs_a_browser():
    pass

@pytest.mark.xfail(reason="a known bug is not a skip")
def test_known_bug():
    assert False
"""
SKIPPED_MODULE = """\
import pytest

pytest.skip("nginx is not installed", allow_module_level=True)
"""


def run_pytest(folder: Path, *, allow: str | None = None, args: tuple[str, ...] = ()):
    """pytest in a subprocess on a folder of tests whose conftest has the suite's hooks."""
    env = {name: value for name, value in os.environ.items() if name != "KRM_ALLOW_SKIPS"}
    env["PYTHONPATH"] = str(ROOT)
    if allow is not None:
        env["KRM_ALLOW_SKIPS"] = allow
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def suite(tmp_path: Path, **modules: str) -> Path:
    folder = tmp_path / "suite"
    folder.mkdir(parents=True)
    (folder / "conftest.py").write_text(HOOKS)
    for name, source in modules.items():
        (folder / f"{name}.py").write_text(source)
    return folder


def test_a_skipped_test_fails_the_run_and_says_why(tmp_path):
    folder = suite(tmp_path, test_some=TESTS, test_server=SKIPPED_MODULE)
    result = run_pytest(folder)
    assert result.returncode == 1, result.stdout
    assert "skipped tests are errors" in result.stdout
    assert "1 skipped: Chromium is not installed" in result.stdout
    assert "1 skipped: nginx is not installed" in result.stdout
    assert "2 skipped test(s) fail this run" in result.stdout
    assert "KRM_ALLOW_SKIPS=1" in result.stdout
    assert "1 passed, 2 skipped, 1 xfailed" in result.stdout


def test_krm_allow_skips_lets_the_run_pass(tmp_path):
    result = run_pytest(suite(tmp_path, test_some=TESTS), allow="1")
    assert result.returncode == 0, result.stdout
    assert "1 passed, 1 skipped, 1 xfailed" in result.stdout
    assert "skipped tests are errors" not in result.stdout
    assert run_pytest(suite(tmp_path / "other", test_some=TESTS), allow="0").returncode == 1


def test_deselected_tests_are_not_skips_and_failures_stay_failures(tmp_path):
    folder = suite(tmp_path, test_some=TESTS, test_fails="def test_fails():\n    assert False\n")
    selected = run_pytest(folder, args=("-k", "runs or known_bug"))
    assert selected.returncode == 0, selected.stdout
    assert "1 passed, 2 deselected, 1 xfailed" in selected.stdout
    assert run_pytest(folder).returncode == 1
    assert run_pytest(folder, allow="1").returncode == 1  # the failure, not the skip


def fake_machine(tmp_path: Path, *, uid: int) -> tuple[dict[str, str], Path]:
    """A PATH of fakes: dpkg knows only nginx, npm is a command (NodeSource's), apt-get logs."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt-get.log"
    fakes = {
        "dpkg-query": '[ "$3" = nginx ] && printf "install ok installed" || exit 1',
        "id": f"echo {uid}",
        "apt-get": f'echo "$*" >> "{log}"',
        "npm": "exit 0",
    }
    for name, body in fakes.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    (bin_dir / "grep").symlink_to(shutil.which("grep"))
    return {"PATH": str(bin_dir)}, log


def system_packages(env: dict[str, str]):
    return subprocess.run(
        [shutil.which("bash"), str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60
    )


MISSING = "postgresql redis-server fonts-dejavu-core chromium default-jre-headless"


def test_without_root_it_stops_with_the_one_command_to_run(tmp_path):
    env, log = fake_machine(tmp_path, uid=1000)
    result = system_packages(env)
    assert result.returncode == 1
    assert f"    sudo apt-get install -y --no-install-recommends {MISSING}\n" in result.stderr
    assert not log.exists()
    allowed = system_packages({**env, "KRM_ALLOW_SKIPS": "1"})
    assert allowed.returncode == 0
    assert "Warning:" in allowed.stderr and MISSING in allowed.stderr


def test_as_root_it_installs_what_is_missing(tmp_path):
    env, log = fake_machine(tmp_path, uid=0)
    result = system_packages(env)
    assert result.returncode == 0, result.stderr
    assert log.read_text().splitlines() == [
        "update -qq",
        f"install -y -qq --no-install-recommends {MISSING}",
    ]


def test_make_test_and_ci_install_the_system_packages_first():
    planned = subprocess.run(
        ["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert planned.returncode == 0, planned.stderr
    commands = planned.stdout.splitlines()
    assert ".ci/system-packages" in commands
    assert commands.index(".ci/system-packages") < commands.index(".venv/bin/pytest")
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert ci.index(".ci/system-packages") < ci.index("make audit") < ci.index("make test")
