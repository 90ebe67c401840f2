"""The ``krm`` command: Flask's CLI (``krm run``, ``krm routes``, ``krm shell``) plus ours."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from portal import schema

db_cli = AppGroup("db", help="Create or migrate the database (Alembic).")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Create the database or migrate it to REVISION (default: the newest)."""
    app = current_app._get_current_object()
    schema.upgrade(app, revision)
    click.echo(f"Database is at revision {schema.current_revision(app)}.")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database back to REVISION."""
    app = current_app._get_current_object()
    schema.downgrade(app, revision)
    click.echo(f"Database is at revision {schema.current_revision(app)}.")


@db_cli.command("current")
def db_current() -> None:
    """Print the revision the database is at."""
    click.echo(schema.current_revision(current_app._get_current_object()) or "empty")


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="What the migration changes.")
@click.option("--empty", is_flag=True, help="Write an empty migration instead of comparing.")
def db_revision(message: str, empty: bool) -> None:
    """Write a new migration from the difference between the models and the database."""
    schema.revision(current_app._get_current_object(), message, autogenerate=not empty)


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load demo data (a location, cards, feedback) if the database holds no feedback yet."""
    from portal.demo import load_demo
    from portal.extensions import db

    loaded = load_demo(db.session)
    db.session.commit()
    if loaded:
        click.echo(f"Demo data loaded: {loaded} feedback entries.")
    else:
        click.echo("The database already holds feedback; no demo data loaded.")


def init_app(app: Flask) -> None:
    from cards.cli import cards_cli, locations_cli

    app.cli.add_command(db_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(locations_cli)
    app.cli.add_command(cards_cli)


def _create_app() -> Flask:
    from portal import create_app

    return create_app()


cli = FlaskGroup(
    name="krm",
    create_app=_create_app,
    help="Meinungskarte: operate the KRM feedback portal.",
)


def main() -> None:
    cli(prog_name="krm")
