"""The pages that are the same for everybody, so they can be frozen."""

from __future__ import annotations

from flask import current_app, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import text

from cards.codes import normalize as normalize_code
from cards.services import find_card
from portal.extensions import db
from portal.public import bp, page
from portal.public.forms import FeedbackForm
from portal.public.render import render_form

# Pages that are nothing but their template: endpoint, path, template name.
TEXT_PAGES = (
    ("index", "/", "index"),
    ("danke", "/danke/", "danke"),
    ("datenschutz", "/datenschutz/", "datenschutz"),
    ("barrierefreiheit", "/barrierefreiheit/", "barrierefreiheit"),
    ("impressum", "/impressum/", "impressum"),
)


def _text_page(template: str):
    return lambda: render_template(f"public/{template}.html")


for _endpoint, _path, _template in TEXT_PAGES:
    page(_path, _endpoint)(_text_page(_template))


@page("/feedback/")
def feedback():
    return render_form(FeedbackForm())


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure means "not healthy"; the reason goes to the log, not the web
        current_app.logger.exception("health check failed")
        return {"status": "unavailable", "database": "error"}, 503
    return {"status": "ok", "database": "ok"}


@page("/k/<code>/")
def card(code: str):
    """The form of one Meinungskarte: it knows the card, its location and its default area."""
    canonical = normalize_code(code)
    if canonical and canonical != code:
        return redirect(url_for("public.card", code=canonical), code=301)
    found = find_card(db.session, code)
    if found is None:
        message = _(
            "Diese Meinungskarte kennen wir nicht. Ihre Rückmeldung können Sie trotzdem geben."
        )
        return render_template("public/error.html", code=404, message=message), 404
    form = FeedbackForm(data={"card": found.code, "area": found.default_area})
    return render_form(form, location_name=found.location.name)
