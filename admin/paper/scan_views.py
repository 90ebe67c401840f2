"""Scan einlesen and Prüfen: upload a scanned stack; then the cards the machine could not store,
one at a time, their picture beside the capture form filled in with what was read.

Only the KRM officer sees these pages; the pictures are handwriting (personal data), so they are
sent with ``Cache-Control: no-store`` and never logged.
"""

from __future__ import annotations

import json
from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from admin.access import requires
from admin.forms import berlin_date
from admin.paper.models import ScanReview
from admin.paper.scan import ScanError, discard_review, next_review, save_review, scan_file, waiting
from admin.paper.views import CaptureForm
from cards.services import list_locations
from portal.db import utcnow
from portal.deadlines import BERLIN
from portal.extensions import csrf, db
from portal.submissions import Rules
from portal.vocab import RATINGS, Kind

bp = Blueprint("scan", __name__)  # nested in the paper room's blueprint (/admin/paper)

ACCEPT = ".pdf,.png,.jpg,.jpeg,.tif,.tiff,application/pdf,image/png,image/jpeg,image/tiff"
ROWS = {
    "rating": [str(words) for _value, words in RATINGS],
    "kind": [str(label) for _value, label in Kind.choices()],
}


# Scan einlesen ----------------------------------------------------------------------------------


@bp.route("/scan", methods=["GET", "POST"])
@requires()
@csrf.exempt  # checked below, after the upload limit is raised for this one form
def upload():
    now = utcnow()
    today = now.astimezone(BERLIN).date()
    if request.method == "GET":
        return _upload_page(today, today)
    request.max_content_length = current_app.config["SCAN_MAX_MB"] * 1024 * 1024
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError as error:
        raise CSRFError(str(error)) from error
    received = request.form.get("received_on", "")
    errors = []
    try:
        received_on = date.fromisoformat(received) if received else today
    except ValueError:
        received_on = None
        errors.append(
            ("received_on", f"Bitte ein gültiges Datum, zum Beispiel {berlin_date(today)}.")
        )
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        errors.append(("file", "Bitte wählen Sie die gescannte Datei (PDF, PNG, JPEG oder TIFF)."))
    if errors:
        return _upload_page(today, received_on, errors=errors, received=received), 422
    try:
        report = scan_file(
            db.session,
            upload.read(),
            received_on=received_on,
            actor=g.user.name,
            actor_id=g.user.id,
            now=now,
            rules=Rules.from_config(current_app.config),
        )
    except ScanError as error:
        db.session.rollback()
        errors = [("file", str(error))]
        return _upload_page(today, received_on, errors=errors, received=received), 422
    db.session.commit()
    return _upload_page(today, received_on, report=report)


def _upload_page(today, received_on, *, errors=(), report=None, received=None):
    return render_template(
        "admin/paper/scan.html",
        today=today,
        received=received if received is not None else received_on.isoformat(),
        errors=list(errors),
        report=report,
        accept=ACCEPT,
        waiting=waiting(db.session),
    )


# Prüfen -----------------------------------------------------------------------------------------


@bp.route("/review")
@requires()
def review():
    item = next_review(db.session)
    if item is None:
        return render_template("admin/paper/review.html", item=None, waiting=0)
    form = CaptureForm(formdata=None).setup(list_locations(db.session), _today())
    form.code.data = item.code
    form.rating.data = str(item.rating) if item.rating else None
    form.kind.data = item.kind
    form.received_on.data = item.received_on
    return _review_page(form, item)


@bp.route("/review/<int:id>", methods=["POST"])
@requires()
def save(id: int):
    item = db.session.get(ScanReview, id) or abort(404)
    now = utcnow()
    form = CaptureForm().setup(list_locations(db.session), now.astimezone(BERLIN).date())
    if not form.validate_on_submit():
        return _review_page(form, item), 422
    feedback_id = save_review(
        db.session,
        item,
        form.entry(),
        actor=g.user.name,
        actor_id=g.user.id,
        now=now,
        rules=Rules.from_config(current_app.config),
    )
    db.session.commit()
    flash(f"Karte gespeichert (Nr. {feedback_id}). Nächste Karte:")
    return redirect(url_for(".review"), code=303)


@bp.route("/review/<int:id>/discard", methods=["POST"])
@requires()
def discard(id: int):
    item = db.session.get(ScanReview, id) or abort(404)
    discard_review(db.session, item, actor=g.user.name, actor_id=g.user.id, now=utcnow())
    db.session.commit()
    flash("Karte verworfen, ihr Bild ist gelöscht. Nächste Karte:")
    return redirect(url_for(".review"), code=303)


@bp.route("/review/<int:id>/picture")
@requires()
def picture(id: int):
    item = db.session.get(ScanReview, id)
    if item is None or not item.picture:
        abort(404)
    response = current_app.response_class(item.picture, mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response


def _today() -> date:
    return utcnow().astimezone(BERLIN).date()


def _review_page(form: CaptureForm, item: ScanReview) -> str:
    from admin.forms import error_summary

    boxes = json.loads(item.boxes or "{}")
    unsure = {
        row: [ROWS[row][index] for index, state in enumerate(states) if state == "unklar"]
        for row, states in boxes.items()
    }
    return render_template(
        "admin/paper/review.html",
        item=item,
        form=form,
        summary=error_summary(form),
        today=form.today,
        locations=list_locations(db.session),
        reasons=[line for line in item.reasons.splitlines() if line],
        unsure=unsure,
        uncertain=item.uncertain_fields,
        waiting=waiting(db.session),
    )
