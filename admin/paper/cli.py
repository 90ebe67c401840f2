"""``krm paper scan FILE``: read a scanned stack of paper cards from the command line."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from admin.paper.scan import ScanError, scan_file
from portal.db import utcnow
from portal.deadlines import BERLIN
from portal.extensions import db
from portal.submissions import Rules

ACTOR = "krm (CLI)"

paper_cli = AppGroup("paper", help="Paper cards: read scanned stacks.")


@paper_cli.command("scan")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--received",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day the box was emptied (default: today).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per card, in page order.")
@click.option("--dry-run", is_flag=True, help="Read and print, store nothing.")
def scan_command(file: Path, received, as_json: bool, dry_run: bool) -> None:
    """Store the clear cards of a scanned PDF, PNG, JPEG or TIFF; queue the rest for review."""
    now = utcnow()
    received_on: date = received.date() if received else now.astimezone(BERLIN).date()
    with _progress() as progress:
        try:
            report = scan_file(
                db.session,
                file.read_bytes(),
                received_on=received_on,
                actor=ACTOR,
                now=now,
                rules=Rules.from_config(current_app.config),
                dry_run=dry_run,
                progress=progress,
            )
        except ScanError as error:
            db.session.rollback()
            raise click.ClickException(str(error)) from error
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    for outcome in report.outcomes:
        if as_json:
            click.echo(json.dumps(outcome.as_json(), ensure_ascii=False))
        else:
            click.echo(_line(outcome))
    if not as_json:
        click.echo(("Probelauf, nichts gespeichert. " if dry_run else "") + report.summary())


def _line(outcome) -> str:
    read = ", ".join(
        part
        for part in (
            outcome.code or "Code unlesbar",
            f"Bewertung {outcome.rating}" if outcome.rating else None,
            outcome.kind,
            "beschrieben" if outcome.writing else None,
        )
        if part
    )
    entry = f" (Nr. {outcome.entry})" if outcome.entry else ""
    message = f": {outcome.message}" if outcome.message else ""
    if outcome.state in ("keine Karte", "bereits eingelesen"):
        return outcome.message or f"Seite {outcome.page}: {outcome.state}"
    return f"Seite {outcome.page}: {read} – {outcome.state}{entry}{message}"


class _progress:
    """A progress bar on a terminal (stderr), plain lines otherwise; a callable for scan_file."""

    def __enter__(self):
        self.bar = None
        self.tty = sys.stderr.isatty()
        return self

    def __call__(self, done: int, pages: int) -> None:
        if not self.tty:
            click.echo(f"Seite {done} von {pages} gelesen", err=True)
            return
        if self.bar is None:
            self.bar = click.progressbar(length=pages, label="Seiten", file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(1)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)
        return False


COMMANDS = (paper_cli,)
