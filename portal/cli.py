"""The ``krm`` command: Flask's CLI (``krm run``, ``krm routes``, ``krm shell``) plus ours."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from portal import schema
from portal.progress import progress

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


@click.command("freeze")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write to: new, empty, or the output of an earlier freeze.",
)
@with_appcontext
def freeze_command(out: Path) -> None:
    """Write the public pages as static files; their forms post to KRM_COLLECTOR_URL."""
    from portal.freeze import FreezeError, freeze_site

    try:
        site = freeze_site(dict(current_app.config), out, track=progress)
    except FreezeError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Wrote {len(site.files)} files ({site.pages} pages) to {site.out}.")
    click.echo(f"Forms post to {site.collector_url}.")


@click.command("backup")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The backup file (SQLite: a database file; PostgreSQL: a pg_dump archive).",
)
@with_appcontext
def backup_command(out: Path) -> None:
    """Back up the database while the portal keeps running."""
    from portal.backup import BackupError, backup

    try:
        backup(current_app.config["DATABASE_URL"], out)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backed up the database to {out} ({out.stat().st_size} bytes).")


@click.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@with_appcontext
def restore_command(archive: Path) -> None:
    """Restore a backup into the (new, empty) database of KRM_DATABASE_URL."""
    from portal.backup import BackupError, restore

    try:
        restore(archive, current_app.config["DATABASE_URL"])
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored {archive}; the database is at revision {_revision()}.")


def _revision() -> str | None:
    return schema.current_revision(current_app._get_current_object())


def init_app(app: Flask) -> None:
    from cards.cli import cards_cli, locations_cli

    app.cli.add_command(db_cli)
    app.cli.add_command(freeze_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
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
