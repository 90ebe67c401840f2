"""The krm command: database creation and demo data, as `make run` uses them."""

from __future__ import annotations

import subprocess
import sys

from conftest import stored_feedback
from sqlalchemy import select

from portal import create_app
from portal.extensions import db
from portal.feedback import Feedback
from portal.vocab import Channel, Status


def test_db_upgrade_creates_the_database(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'new' / 'krm.sqlite3'}"})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "Database is at revision" in result.output
    assert (tmp_path / "new" / "krm.sqlite3").exists()
    current = app.test_cli_runner().invoke(args=["db", "current"])
    assert current.output.strip() != "empty"


def test_demo_data_loads_once_and_is_masked_like_everything_else(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "Demo data loaded" in result.output
    feedback = stored_feedback(app)
    assert len(feedback) >= 5
    assert {Channel.HOMEPAGE, Channel.CARD_QR} <= {entry.channel for entry in feedback}
    assert any(entry.card and entry.location for entry in feedback)
    assert not any("23456789" in (entry.text or "") for entry in feedback)
    assert any(entry.text_masked for entry in feedback)

    again = runner.invoke(args=["demo"])
    assert "no demo data loaded" in again.output
    assert len(stored_feedback(app)) == len(feedback)


def test_the_demo_history_gives_the_reports_figures_for_two_years(app, runner, tmp_path):
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        closed = db.session.scalars(select(Feedback).where(Feedback.status == Status.DONE)).all()
        assert len(closed) >= 100 and all(entry.concerns and entry.closed_at for entry in closed)
        years = {entry.received_at.year for entry in closed}
    assert len(years) >= 2, "the year before is there to compare with"
    out = tmp_path / "bericht.xlsx"
    result = runner.invoke(args=["report", "--year", str(sorted(years)[-2]), "--out", str(out)])
    assert result.exit_code == 0, result.output


def test_the_krm_console_script_is_installed_and_speaks_flask():
    krm = [sys.executable, "-c", "from portal.cli import main; main()"]
    result = subprocess.run([*krm, "--help"], capture_output=True, text=True, check=True)
    for command in ("db", "demo", "run", "routes", "shell"):
        assert command in result.stdout


def test_demo_creates_one_account_per_role_that_can_sign_in(app, runner):
    from conftest import login

    from admin.demo import DEMO_PASSWORD

    result = runner.invoke(args=["demo"])
    assert "Demo accounts created: krm, teamleitung, bericht" in result.output
    for name in ("krm", "teamleitung", "bericht"):
        assert login(app.test_client(), name, DEMO_PASSWORD).status_code == 303
    assert "Demo accounts created" not in runner.invoke(args=["demo"]).output


def test_demo_data_is_refused_in_production(monkeypatch, make_app):
    monkeypatch.setenv("KRM_ENV", "production")
    app = make_app(SECRET_KEY="s" * 40)
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0
    assert "refused in production" in result.output
