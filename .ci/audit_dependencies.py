"""Audit the installed dependencies with pip-audit against PyPI's vulnerability data.

Audits ``pip freeze --exclude-editable`` (the project itself is not on PyPI, so it is left out)
and says plainly what was and was not audited. Exit status: 1 when a known vulnerability is
found or pip-audit fails; 0 otherwise, also when PyPI cannot be reached or knows none of the
installed versions, which is printed as "NOT audited" rather than passed over in silence.

Usage: python .ci/audit_dependencies.py   (from `make audit`)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

PYPI = "https://pypi.org/pypi/pip/json"


def summarize(report: dict) -> tuple[int, list[str]]:
    """The exit status and the lines to print for a pip-audit JSON report."""
    dependencies = report.get("dependencies", [])
    skipped = [dep for dep in dependencies if "skip_reason" in dep]
    audited = [dep for dep in dependencies if "skip_reason" not in dep]
    vulnerable = [dep for dep in audited if dep.get("vulns")]
    lines = []
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            name = f"{dep['name']} {dep['version']}"
            lines.append(f"VULNERABLE {name}: {vuln['id']} (fixed in {fixed})")
    if vulnerable:
        count = sum(len(dep["vulns"]) for dep in vulnerable)
        lines.append(f"pip-audit: {count} known vulnerabilities in {len(vulnerable)} packages.")
    else:
        lines.append(f"pip-audit: {len(audited)} packages audited, no known vulnerabilities.")
    if skipped:
        names = ", ".join(f"{dep['name']}" for dep in skipped)
        lines.append(
            f"pip-audit: {len(skipped)} packages NOT audited (PyPI has no vulnerability data for "
            f"the installed versions, or does not know them): {names}"
        )
    return (1 if vulnerable else 0), lines


def pypi_reachable() -> str | None:
    """None when PyPI's JSON API answers; otherwise why not."""
    import requests

    try:
        requests.get(PYPI, timeout=15).raise_for_status()
    except requests.RequestException as error:
        return f"{type(error).__name__}: {error}"
    return None


def main() -> int:
    problem = pypi_reachable()
    if problem:
        print(f"pip-audit: PyPI cannot be reached ({problem}); dependencies NOT audited.")
        return 0
    with tempfile.TemporaryDirectory() as folder:
        requirements = Path(folder, "requirements.txt")
        output = Path(folder, "audit.json")
        frozen = subprocess.run(
            [sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        requirements.write_text(frozen)
        command = [
            *(sys.executable, "-m", "pip_audit", "--vulnerability-service", "pypi"),
            *("--requirement", str(requirements), "--no-deps", "--disable-pip"),
            *("--progress-spinner", "off", "--format", "json", "--output", str(output)),
        ]
        run = subprocess.run(command, capture_output=True, text=True)  # noqa: S603  (our own argv)
        if not output.exists():
            print(run.stderr, file=sys.stderr)
            if "connect" in run.stderr.lower():
                print("pip-audit: PyPI's vulnerability feed did not answer; NOT audited.")
                return 0
            print(f"pip-audit failed (exit status {run.returncode}).")
            return 1
        status, lines = summarize(json.loads(output.read_text()))
    print("\n".join(lines))
    if run.returncode and not status:
        print(run.stderr, file=sys.stderr)
        print(f"pip-audit failed (exit status {run.returncode}).")
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
