"""Export: download a week for the case register, the export log, and the column mapping."""

from __future__ import annotations

import tempfile

from flask import Blueprint, flash, g, redirect, render_template, request, send_file, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from admin.access import requires
from admin.export.layout import (
    FIELDS,
    MAX_HEADER,
    Column,
    current_layout,
    is_default,
    layout_problems,
    reset_layout,
    save_layout,
)
from admin.export.service import (
    FORMAT_LABELS,
    MEDIA_TYPES,
    ExportError,
    Week,
    filename,
    recent_runs,
    run_export,
    surveys_since,
    write_survey_csv,
)
from admin.forms import error_summary, single_line
from portal.db import utcnow
from portal.deadlines import local_time
from portal.extensions import db

bp = Blueprint("export", __name__, url_prefix="/export")


@bp.context_processor
def _helpers() -> dict:
    return {"local_time": local_time, "format_labels": FORMAT_LABELS}


class ExportForm(FlaskForm):
    week = StringField(
        "Kalenderwoche",
        filters=[lambda value: value.strip() if value else value],
        validators=[DataRequired("Bitte geben Sie die Kalenderwoche an, z. B. 2026-W47.")],
    )
    format = RadioField(
        "Format",
        choices=[
            SelectChoice("xlsx", "Excel (XLSX) mit Blatt Kundenbefragung"),
            SelectChoice("csv", "CSV (Semikolon)"),
        ],
        default="xlsx",
    )
    changed_only = BooleanField("nur Neues und Geändertes seit dem letzten Export dieser Woche")

    def validate_week(self, field: StringField) -> None:
        try:
            Week.parse(field.data)
        except ExportError as error:
            raise ValidationError(str(error)) from error


class LayoutForm(FlaskForm):
    """One row per field: export it, at which position, under which name."""

    def rows(self, layout: list[Column]) -> list[tuple[str, str, object, object, object]]:
        """(field, default header, use, position, header) in the order the officer sees."""
        used = [column.field for column in layout]
        order = used + [key for key in FIELDS if key not in used]
        return [
            (key, FIELDS[key], self[f"use_{key}"], self[f"position_{key}"], self[f"header_{key}"])
            for key in order
        ]


for _number, (_key, _header) in enumerate(FIELDS.items(), start=1):
    setattr(LayoutForm, f"use_{_key}", BooleanField("exportieren"))
    setattr(
        LayoutForm,
        f"position_{_key}",
        IntegerField(
            "Position",
            validators=[
                Optional(),
                NumberRange(1, 99, "Bitte eine Position von 1 bis 99."),
            ],
        ),
    )
    setattr(
        LayoutForm,
        f"header_{_key}",
        StringField(
            "Spaltenname",
            filters=[single_line],
            validators=[Length(max=MAX_HEADER, message=f"Höchstens {MAX_HEADER} Zeichen.")],
        ),
    )


def _layout_form(formdata=None) -> LayoutForm:
    layout = current_layout(db.session)
    data = {}
    for position, column in enumerate(layout, start=1):
        data |= {
            f"use_{column.field}": True,
            f"position_{column.field}": position,
            f"header_{column.field}": column.header,
        }
    for key, header in FIELDS.items():
        data.setdefault(f"header_{key}", header)
    return LayoutForm(formdata=formdata, data=data)


def _chosen_columns(form: LayoutForm) -> list[Column]:
    """The ticked fields, ordered by the positions typed (ties: the order on the page)."""
    rows = form.rows(current_layout(db.session))
    chosen = [
        (position.data or 100, index, Column(key, header.data or ""))
        for index, (key, _default, use, position, header) in enumerate(rows)
        if use.data
    ]
    return [column for _position, _index, column in sorted(chosen, key=lambda c: c[:2])]


@bp.get("/")
@requires()
def index():
    return _page()


@bp.post("/download")
@requires()
def download():
    form = ExportForm()
    if not form.validate_on_submit():
        return _page(export_form=form), 422
    week = Week.parse(form.week.data)
    changed_only = form.changed_only.data
    out = tempfile.TemporaryFile()  # noqa: SIM115  (send_file closes it after the response)
    run_export(
        db.session,
        week,
        form.format.data,
        out,
        changed_only=changed_only,
        actor=g.user.name,
        actor_id=g.user.id,
        now=utcnow(),
    )
    db.session.commit()
    out.seek(0)
    return _download(
        out, form.format.data, filename(week, form.format.data, changed_only=changed_only)
    )


@bp.get("/kundenbefragung.csv")
@requires()
def surveys_csv():
    try:
        week = Week.parse(request.args.get("week", ""))
    except ExportError:
        week = Week.last_complete(utcnow())
    out = tempfile.TemporaryFile()  # noqa: SIM115
    write_survey_csv(db.session, week, out, actor=g.user.name, actor_id=g.user.id, now=utcnow())
    db.session.commit()
    out.seek(0)
    return _download(out, "csv", f"kundenbefragung-{week}.csv")


@bp.post("/columns")
@requires()
def columns():
    form = _layout_form(request.form)
    if form.validate_on_submit():
        chosen = _chosen_columns(form)
        problems = layout_problems(chosen)
        for key, message in problems:
            target = form[f"header_{key}"] if key else form[f"use_{next(iter(FIELDS))}"]
            target.errors = [*target.errors, message]
        if not problems:
            changed = save_layout(
                db.session, chosen, actor=g.user.name, actor_id=g.user.id, now=utcnow()
            )
            db.session.commit()
            flash("Spalten gespeichert." if changed else "Die Spalten waren schon so.")
            return redirect(url_for(".index", _anchor="spalten"), code=303)
    db.session.rollback()
    return _page(layout_form=form), 422


@bp.post("/columns/reset")
@requires()
def columns_reset():
    changed = reset_layout(db.session, actor=g.user.name, actor_id=g.user.id, now=utcnow())
    db.session.commit()
    flash(
        "Die Spalten sind wieder die Vorgabe."
        if changed
        else "Die Spalten entsprechen bereits der Vorgabe."
    )
    return redirect(url_for(".index", _anchor="spalten"), code=303)


def _download(out, format: str, name: str):
    response = send_file(out, mimetype=MEDIA_TYPES[format], as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(export_form: ExportForm | None = None, layout_form: LayoutForm | None = None) -> str:
    last_week = Week.last_complete(utcnow())
    export_form = export_form or ExportForm(formdata=None, week=str(last_week))
    layout_form = layout_form or _layout_form()
    return render_template(
        "admin/export/index.html",
        export_form=export_form,
        layout_form=layout_form,
        layout_rows=layout_form.rows(current_layout(db.session)),
        default_layout=is_default(db.session),
        last_week=last_week,
        runs=recent_runs(db.session),
        surveys_since=surveys_since(db.session),
        summary=error_summary(export_form, layout_form),
    )
