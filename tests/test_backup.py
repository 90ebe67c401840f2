"""Backup and restore: a populated database, backed up, restored into a new one, is the same."""

from __future__ import annotations

import pytest
from conftest import base_config
from sqlalchemy import create_engine, func, select
from sqlalchemy.pool import NullPool

from admin.demo import load_demo, load_demo_accounts
from admin.inbox.query import search_condition
from portal import create_app, schema
from portal.extensions import db
from portal.feedback import Feedback

pytestmark = pytest.mark.engines


def every_row(url: str) -> dict[str, list[tuple]]:
    """All rows of every table the models describe, and the schema revision."""
    engine = create_engine(url, poolclass=NullPool)
    tables = schema.load_models().metadata.sorted_tables
    with engine.connect() as connection:
        rows = {
            t.name: connection.execute(select(t).order_by(*t.primary_key.columns)).all()
            for t in tables
        }
        rows["alembic_version"] = connection.exec_driver_sql(
            "SELECT version_num FROM alembic_version"
        ).all()
    engine.dispose()
    return rows


def populated(app) -> int:
    with app.app_context():
        load_demo_accounts(db.session)
        count = load_demo(db.session)
        db.session.commit()
    return count


def test_a_backup_restored_into_a_new_database_holds_the_same_data(
    app, runner, empty_database, tmp_path
):
    assert populated(app) > 10
    archive = tmp_path / "backups" / "krm.backup"
    result = runner.invoke(args=["backup", "--out", str(archive)])
    assert result.exit_code == 0, result.output
    assert "Backed up the database to" in result.output

    restored = create_app(base_config(empty_database()))
    result = restored.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 0, result.output
    assert f"at revision {schema.current_revision(app)}" in result.output

    before, after = (
        every_row(app.config["DATABASE_URL"]),
        every_row(restored.config["DATABASE_URL"]),
    )
    assert before["feedback"] and before["concern"] and before["user_account"]
    assert after == before

    # The copy works as the original did: full-text search, and new rows get new ids.
    with restored.app_context():
        [some] = db.session.scalars(select(Feedback).order_by(Feedback.id).limit(1))
        word = max(some.text.split(), key=len).strip(".,!?")
        found = db.session.scalars(select(Feedback.id).where(search_condition(db.session, word)))
        assert some.id in list(found)
        highest = db.session.scalar(select(func.max(Feedback.id)))
    response = restored.test_client().post("/submit", data={"rating": "3", "lang": "de"})
    assert response.status_code == 303
    with restored.app_context():
        assert db.session.scalar(select(func.max(Feedback.id))) == highest + 1
        db.engine.dispose()


def test_restore_refuses_a_database_that_is_not_empty(app, runner, tmp_path):
    populated(app)
    archive = tmp_path / "krm.backup"
    assert runner.invoke(args=["backup", "--out", str(archive)]).exit_code == 0
    result = runner.invoke(args=["restore", str(archive)])
    assert result.exit_code != 0
    assert "The target database is not empty" in result.output


def test_a_missing_backup_file_is_named(runner, tmp_path):
    result = runner.invoke(args=["restore", str(tmp_path / "nowhere.backup")])
    assert result.exit_code != 0
    assert "nowhere.backup" in result.output
