"""``krm google sync`` and ``krm google import FILE``: reviews in, from the API or a Takeout."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from admin.google.client import GoogleClient, GoogleConfig, GoogleError
from admin.google.sync import (
    CONCURRENT_SYNC,
    SyncContext,
    TakeoutError,
    import_takeout,
    sync_reviews,
)
from portal.db import utcnow
from portal.extensions import db
from portal.progress import progress

ACTOR = "krm (CLI)"
google_cli = AppGroup("google", help="Google reviews of the Business Profile locations.")


def _context() -> SyncContext:
    return SyncContext.from_config(current_app.config, now=utcnow(), actor=ACTOR)


@google_cli.command("sync")
def google_sync() -> None:
    """Pull new and changed reviews of every location in KRM_GOOGLE_LOCATIONS."""
    config = GoogleConfig.from_config(current_app.config)
    problem = config.problem()
    if problem:
        raise click.ClickException(problem)
    try:
        client = GoogleClient.from_config(config)
    except GoogleError as error:
        raise click.ClickException(str(error)) from error
    try:
        result = sync_reviews(db.session, client, config.locations, _context(), track=progress)
        db.session.commit()  # what did arrive is kept, even when a location failed
    except IntegrityError as error:
        db.session.rollback()
        raise click.ClickException(CONCURRENT_SYNC) from error
    click.echo(result.summary)
    if result.errors:
        raise click.ClickException(" | ".join(result.errors))


@google_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--location",
    help="The locations/… id the reviews belong to, if their 'name' does not say.",
)
def google_import(file: Path, location: str | None) -> None:
    """Import the reviews.json of a Google Takeout export (for offices without API access)."""
    try:
        result = import_takeout(db.session, file, _context(), location=location, track=progress)
    except TakeoutError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(result.summary)


COMMANDS = (google_cli,)
