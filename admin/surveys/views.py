"""Kundenbefragung: upload survey results; a refused file lists every problem with its line."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from admin.access import requires
from admin.forms import error_summary
from admin.surveys.importer import (
    HEADER,
    PERIOD_FORMATS,
    SurveyFileError,
    import_survey_file,
    imported_periods,
)
from portal.db import utcnow
from portal.deadlines import local_time
from portal.extensions import db

bp = Blueprint("surveys", __name__, url_prefix="/surveys")


@bp.context_processor
def _helpers() -> dict:
    return {"local_time": local_time}


class UploadForm(FlaskForm):
    file = FileField(
        "Datei mit Ergebnissen (CSV oder XLSX)",
        validators=[FileRequired("Bitte wählen Sie eine Datei aus.")],
    )


@bp.get("/")
@requires()
def index():
    return _page(UploadForm(formdata=None))


@bp.post("/")
@requires()
def upload():
    form = UploadForm()
    refused: SurveyFileError | None = None
    name = ""
    if form.validate_on_submit():
        upload = form.file.data
        name = upload.filename or "Datei"
        try:
            result = import_survey_file(
                db.session,
                name,
                upload.read(),
                actor=g.user.name,
                actor_id=g.user.id,
                now=utcnow(),
            )
        except SurveyFileError as error:
            refused = error
        else:
            db.session.commit()
            flash(
                f"{result.rows} Ergebnisse aus „{name}“ importiert, davon {result.changed} neu "
                "oder geändert. "
                f"Ersetzt wurden Zeitraum und Dienststelle: {result.describe()}."
            )
            return redirect(url_for(".index"), code=303)
    db.session.rollback()
    return _page(form, refused=refused, refused_name=name), 422


def _page(form: UploadForm, refused: SurveyFileError | None = None, refused_name: str = ""):
    return render_template(
        "admin/surveys/index.html",
        form=form,
        refused=refused,
        refused_name=refused_name,
        summary=error_summary(form),
        periods=imported_periods(db.session),
        header=";".join(HEADER),
        period_formats=PERIOD_FORMATS,
    )
