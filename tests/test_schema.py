"""Migrations: they build exactly the schema the models describe, and they go down and up again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from portal import create_app, schema
from portal.extensions import db


def test_migrations_match_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": schema.include_name}
        )
        differences = compare_metadata(context, schema.load_models().metadata)
    assert differences == [], "models changed without a migration: krm db revision -m '…'"


def test_upgrade_from_nothing_downgrade_and_upgrade_again(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"})
    schema.upgrade(app)
    assert schema.current_revision(app) is not None
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        assert {"feedback", "location", "card", "user_account", "concern", "feedback_fts"} <= tables
    schema.downgrade(app, "base")
    assert schema.current_revision(app) is None
    schema.upgrade(app)
    with app.app_context():
        assert "feedback" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_sqlite_runs_in_wal_mode_with_full_sync(app):
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 20_000
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
