"""Alembic environment. ``krm db …`` passes in a connection of the app's engine."""

import sqlalchemy as sa
from alembic import context

from portal.db import UTCDateTime
from portal.schema import include_name, load_models

target_metadata = load_models().metadata


def render_item(type_, obj, autogen_context):
    """Write our column types as plain SQLAlchemy ones, so migrations never import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, sa.Enum):
        return f"sa.String(length={obj.length})"
    return False


def run_migrations(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    from portal import create_app
    from portal.extensions import db

    with create_app().app_context(), db.engine.begin() as app_connection:
        run_migrations(app_connection)
