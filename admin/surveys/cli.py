"""``krm surveys import``: Kundenbefragung results from a CSV or XLSX file."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from admin.surveys.importer import SurveyFileError, import_survey_file
from portal.db import utcnow
from portal.extensions import db

ACTOR = "krm (CLI)"
surveys_cli = AppGroup("surveys", help="Kundenbefragung: survey results.")


@surveys_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def surveys_import(file: Path) -> None:
    """Import survey results (CSV with ';' or XLSX); a bad file is refused whole."""
    try:
        result = import_survey_file(
            db.session, file.name, file.read_bytes(), actor=ACTOR, now=utcnow()
        )
    except SurveyFileError as error:
        db.session.rollback()
        lines = "\n".join(f"  {message}" for message in error.messages)
        raise click.ClickException(f"{file.name} refused, nothing imported:\n{lines}") from error
    db.session.commit()
    click.echo(f"{result.rows} results imported from {file.name}; replaced: {result.describe()}.")


COMMANDS = (surveys_cli,)
