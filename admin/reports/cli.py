"""``krm report --year 2026 --out FILE.xlsx``: the annual report's figures as a workbook.

``krm report rebuild`` recomputes the report roll-up (portal.rollup) from the feedback rows.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from admin.reports.figures import FIRST_YEAR, LAST_YEAR, annual_report, default_year
from admin.reports.xlsx import write_report
from portal.db import utcnow
from portal.extensions import db
from portal.progress import progress
from portal.rollup import entry_count, rebuild


@click.group("report", invoke_without_command=True)
@click.option(
    "--year",
    type=click.IntRange(FIRST_YEAR, LAST_YEAR),
    help="The report's year (default: the year before in January and February, else this one).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The XLSX file to write (required without a command).",
)
@click.pass_context
@with_appcontext
def report_command(context: click.Context, year: int | None, out: Path | None) -> None:
    """Write the annual report (each figure against the year before) as an XLSX file."""
    if context.invoked_subcommand is not None:
        return
    if out is None:
        raise click.UsageError("Missing option '--out'.")
    now = utcnow()
    year = year or default_year(now)
    if out.suffix.lower() != ".xlsx":
        raise click.ClickException(f"{out}: the file name must end in .xlsx.")
    if not out.parent.is_dir():
        raise click.ClickException(f"{out.parent}: no such folder.")
    report = annual_report(db.session, year, now)
    try:
        write_report(report, str(out), current_app.config["JOBCENTER_NAME"])
    except OSError as error:
        raise click.ClickException(f"{out}: cannot write ({error.strerror}).") from error
    overview = report.figure("ueberblick")
    reactions, concerns = (row.current for row in overview.rows[:2])
    click.echo(f"Annual report {year}: {reactions} reactions, {concerns} Anliegen; wrote {out}.")


@report_command.command("rebuild")
@with_appcontext
def rebuild_command() -> None:
    """Recompute the report roll-up from the feedback rows (after a restore or a bulk load)."""
    total = entry_count(db.session)
    with progress("Report roll-up: reactions", total) as advance:
        keys = rebuild(db.session, advance)
    db.session.commit()
    click.echo(f"Report roll-up rebuilt: {total} reactions, {keys} lines.")


COMMANDS = (report_command,)
