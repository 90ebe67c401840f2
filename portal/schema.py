"""The database schema: every model module, and Alembic driven from inside the app."""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from flask import Flask

from portal.db import Base

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
MODEL_MODULES = (
    "cards.models",
    "portal.feedback",
    "admin.accounts.models",
    "admin.inbox.models",
    "admin.surveys.models",
    "admin.export.models",
    "admin.google.models",
    "portal.audit",
    "portal.mail.texts",
    "portal.mail.outbox",
    "admin.paper.models",
    "portal.rollup",
)

# What the models do not describe: SQLite's full-text index of feedback (FTS5 and its shadow
# tables, kept up to date by triggers) and PostgreSQL's (a GIN expression index). Schema
# comparisons leave them alone.
UNMODELLED_PREFIXES = ("feedback_fts",)
UNMODELLED_INDEXES = ("ix_feedback_text_search",)


def include_name(name: str | None, type_: str, _parent_names) -> bool:
    if type_ == "table" and name and name.startswith(UNMODELLED_PREFIXES):
        return False
    return not (type_ == "index" and name in UNMODELLED_INDEXES)


def load_models() -> type[Base]:
    """Import every model module so ``Base.metadata`` knows all tables."""
    for module in MODEL_MODULES:
        importlib.import_module(module)
    return Base


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _run(app: Flask, action, *args, **kwargs) -> None:
    from portal.extensions import db

    with app.app_context(), db.engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        config.attributes["state"] = app.config["STATE"]
        action(config, *args, **kwargs)


def upgrade(app: Flask, revision: str = "head") -> None:
    _run(app, command.upgrade, revision)


def downgrade(app: Flask, revision: str) -> None:
    _run(app, command.downgrade, revision)


def revision(app: Flask, message: str, autogenerate: bool = True) -> None:
    _run(app, command.revision, message=message, autogenerate=autogenerate)


def current_revision(app: Flask) -> str | None:
    from portal.extensions import db

    with app.app_context(), db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
