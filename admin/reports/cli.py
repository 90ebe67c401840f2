"""``krm report --year 2026 --out FILE.xlsx``: the annual report's figures as a workbook."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from admin.reports.figures import FIRST_YEAR, LAST_YEAR, annual_report, default_year
from admin.reports.xlsx import write_report
from portal.db import utcnow
from portal.extensions import db


@click.command("report")
@click.option(
    "--year",
    type=click.IntRange(FIRST_YEAR, LAST_YEAR),
    help="The report's year (default: the year before in January and February, else this one).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The XLSX file to write.",
)
@with_appcontext
def report_command(year: int | None, out: Path) -> None:
    """Write the annual report (each figure against the year before) as an XLSX file."""
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


COMMANDS = (report_command,)
