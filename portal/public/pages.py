"""The pages that are the same for everybody, so they can be frozen."""

from __future__ import annotations

from flask import current_app, render_template
from sqlalchemy import text

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
