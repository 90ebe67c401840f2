"""``krm export``: the weekly export into the case register."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from admin.export.service import FORMATS, ExportError, Week, run_export, write_survey_csv
from portal.db import utcnow
from portal.extensions import db
from portal.progress import progress

ACTOR = "krm (CLI)"


@click.command("export")
@click.option("--week", help="ISO week, e.g. 2026-W47 (default: the last complete week).")
@click.option(
    "--format",
    "format_",
    type=click.Choice(FORMATS),
    help="xlsx or csv (default: from the file name of --out, else xlsx).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The file to write.",
)
@click.option(
    "--changed-only",
    is_flag=True,
    help="Only reactions new or changed since the last export of this week.",
)
@click.option(
    "--surveys-out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="With --format csv: also write the sheet Kundenbefragung to this CSV file.",
)
@with_appcontext
def export_command(
    week: str | None, format_: str | None, out: Path, changed_only: bool, surveys_out: Path | None
) -> None:
    """Export one week of reactions for the case register (one row per reaction)."""
    now = utcnow()
    try:
        chosen = Week.parse(week) if week else Week.last_complete(now)
    except ExportError as error:
        raise click.ClickException(str(error)) from error
    format_ = format_ or ("csv" if out.suffix.lower() == ".csv" else "xlsx")
    if surveys_out and format_ != "csv":
        raise click.ClickException("--surveys-out is for CSV; the XLSX holds the survey sheet.")
    try:
        with out.open("wb") as file:
            run = run_export(
                db.session,
                chosen,
                format_,
                file,
                changed_only=changed_only,
                actor=ACTOR,
                now=now,
                track=progress,
            )
        surveys = None
        if surveys_out:
            with surveys_out.open("wb") as file:
                surveys = write_survey_csv(db.session, chosen, file, actor=ACTOR, now=now, run=run)
    except OSError as error:
        raise click.ClickException(f"Cannot write {error.filename}: {error.strerror}") from error
    db.session.commit()
    what = "new or changed reactions" if changed_only else "reactions"
    click.echo(f"{chosen} ({chosen.label}): {run.rows} {what} written to {out} ({format_}).")
    if surveys is not None:
        click.echo(f"Kundenbefragung: {surveys} results written to {surveys_out}.")


COMMANDS = (export_command,)
