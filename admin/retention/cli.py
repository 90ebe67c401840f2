"""``krm purge [--dry-run]``: apply KRM_RETENTION_MONTHS to the closed entries (cron, daily)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import text

from admin.retention.service import PurgeResult, RetentionError, purge
from portal.db import utcnow
from portal.deadlines import BERLIN
from portal.extensions import db
from portal.progress import progress

ACTOR = "krm (CLI)"


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count what would be purged; change nothing.")
@with_appcontext
def purge_command(dry_run: bool) -> None:
    """Remove free text, contact data and notes of entries closed longer than the period."""
    months = current_app.config["RETENTION_MONTHS"]
    try:
        result = purge(
            db.session,
            now=utcnow(),
            months=months,
            actor=ACTOR,
            dry_run=dry_run,
            track=progress,
        )
    except RetentionError as error:
        raise click.ClickException(str(error)) from error
    if dry_run:
        db.session.rollback()
        click.echo(f"Dry run, nothing changed. {_summary(result, months)}, would be purged:")
    else:
        db.session.commit()
        if db.engine.dialect.name == "sqlite":
            # Old page images of the purged rows may linger in the write-ahead log: empty it.
            with db.engine.connect() as connection:
                connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        click.echo(f"{_summary(result, months)}, purged:")
    click.echo(
        f"  {result.texts} texts, {result.contacts} contacts, {result.notes} notes, "
        f"{result.google_reviews} Google reviewer names or reply drafts."
    )


def _summary(result: PurgeResult, months: int) -> str:
    day = result.cutoff.astimezone(BERLIN).strftime("%d.%m.%Y")
    entries = "1 entry" if result.entries == 1 else f"{result.entries} entries"
    return f"{entries} closed before {day} (KRM_RETENTION_MONTHS={months})"


COMMANDS = (purge_command,)
