"""``krm purge [--dry-run]``: apply KRM_RETENTION_MONTHS to the closed entries (cron, daily);
``krm privacy remask [--dry-run]``: today's masking rules over the stored texts."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import text

from admin.paper.scan import purge_reviews
from admin.retention.remask import count_texts, remask
from admin.retention.service import PurgeResult, RetentionError, purge
from portal.db import utcnow
from portal.deadlines import BERLIN
from portal.extensions import db
from portal.privacy import LABELS
from portal.progress import progress

ACTOR = "krm (CLI)"


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count what would be purged; change nothing.")
@with_appcontext
def purge_command(dry_run: bool) -> None:
    """Remove free text, contact data and notes of entries closed longer than the period."""
    months = current_app.config["RETENTION_MONTHS"]
    days = current_app.config["SCAN_RETENTION_DAYS"]
    now = utcnow()
    try:
        result = purge(
            db.session, now=now, months=months, actor=ACTOR, dry_run=dry_run, track=progress
        )
        scans = purge_reviews(db.session, now=now, days=days, dry_run=dry_run)
    except (RetentionError, ValueError) as error:
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
    click.echo(
        f"  {scans} scanned cards with their pictures, waiting for review longer than "
        f"{days} days (KRM_SCAN_RETENTION_DAYS)."
    )


def _summary(result: PurgeResult, months: int) -> str:
    day = result.cutoff.astimezone(BERLIN).strftime("%d.%m.%Y")
    entries = "1 entry" if result.entries == 1 else f"{result.entries} entries"
    return f"{entries} closed before {day} (KRM_RETENTION_MONTHS={months})"


privacy_cli = AppGroup("privacy", help="Personal data in the stored texts.")


@privacy_cli.command("remask")
@click.option("--dry-run", is_flag=True, help="Only count what would be masked; change nothing.")
def remask_command(dry_run: bool) -> None:
    """Apply the current masking rules to every stored text (counts per kind, never the data)."""
    with progress("checking texts", count_texts(db.session)) as advance:
        result = remask(db.session, now=utcnow(), actor=ACTOR, dry_run=dry_run, progress=advance)
    if dry_run:
        db.session.rollback()
        click.echo(
            f"Dry run, nothing changed. {result.checked} texts checked, "
            f"{result.changed} would be masked again:"
        )
    else:
        db.session.commit()
        click.echo(f"{result.checked} texts checked, {result.changed} masked again:")
    for kind, count in result.counts().items():
        click.echo(f"  {LABELS[kind]}: {count}")
    if not result.changed:
        click.echo("  nothing to mask.")


COMMANDS = (purge_command, privacy_cli)
