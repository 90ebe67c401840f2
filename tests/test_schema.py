"""Migrations: they build exactly the schema the models describe, and they go down and up again."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from portal import create_app, schema
from portal.extensions import db

pytestmark = pytest.mark.engines


def test_migrations_match_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": schema.include_name}
        )
        differences = compare_metadata(context, schema.load_models().metadata)
    assert differences == [], "models changed without a migration: krm db revision -m '…'"


def test_upgrade_from_nothing_downgrade_and_upgrade_again(empty_database, database_engine):
    app = create_app({"DATABASE_URL": empty_database()})
    schema.upgrade(app)
    assert schema.current_revision(app) is not None
    with app.app_context():
        inspector = inspect(db.engine)
        tables = set(inspector.get_table_names())
        assert {"feedback", "location", "card", "user_account", "concern"} <= tables
        if database_engine == "sqlite":
            assert "feedback_fts" in tables
        else:
            indexes = {index["name"] for index in inspector.get_indexes("feedback")}
            assert "ix_feedback_text_search" in indexes
    schema.downgrade(app, "base")
    assert schema.current_revision(app) is None
    with app.app_context():
        assert inspect(db.engine).get_table_names() == ["alembic_version"]
    schema.upgrade(app)
    with app.app_context():
        assert "feedback" in inspect(db.engine).get_table_names()
        db.engine.dispose()


@pytest.mark.parametrize("database_engine", ["sqlite"], indirect=True)
def test_sqlite_runs_in_wal_mode_with_full_sync(app):
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 20_000
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
