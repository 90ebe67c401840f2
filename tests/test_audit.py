"""The dependency audit's verdict: a known vulnerability fails CI, unaudited packages are named."""

from __future__ import annotations

import importlib.util

from portal import ROOT

spec = importlib.util.spec_from_file_location("audit", ROOT / ".ci" / "audit_dependencies.py")
audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit)


def test_a_known_vulnerability_fails_and_is_named():
    report = {
        "dependencies": [
            {"name": "flask", "version": "3.1.0", "vulns": []},
            {
                "name": "jinja2",
                "version": "2.10",
                "vulns": [{"id": "PYSEC-2019-217", "fix_versions": ["2.10.1"]}],
            },
        ]
    }
    status, lines = audit.summarize(report)
    assert status == 1
    assert "VULNERABLE jinja2 2.10: PYSEC-2019-217 (fixed in 2.10.1)" in lines
    assert "pip-audit: 1 known vulnerabilities in 1 packages." in lines


def test_packages_pypi_does_not_know_are_named_as_not_audited():
    report = {
        "dependencies": [
            {"name": "flask", "version": "3.1.0", "vulns": []},
            {"name": "segno", "skip_reason": "Dependency not found on PyPI: segno (1.6.6)"},
        ]
    }
    status, lines = audit.summarize(report)
    assert status == 0
    assert lines == [
        "pip-audit: 1 packages audited, no known vulnerabilities.",
        "pip-audit: 1 packages NOT audited (PyPI has no vulnerability data for the installed "
        "versions, or does not know them): segno",
    ]
