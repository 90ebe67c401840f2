"""The static-able pages: the same for everybody, so they can be frozen."""

from __future__ import annotations

from flask import current_app, render_template
from sqlalchemy import text

from portal.extensions import db
from portal.public import bp, page
from portal.public.forms import FeedbackForm
from portal.public.render import render_form


@page("/")
def index():
    return render_template("public/index.html")


@page("/feedback/")
def feedback():
    return render_form(FeedbackForm())


@page("/danke/")
def danke():
    return render_template("public/danke.html")


@page("/datenschutz/")
def datenschutz():
    return render_template("public/datenschutz.html")


@page("/barrierefreiheit/")
def barrierefreiheit():
    return render_template("public/barrierefreiheit.html")


@page("/impressum/")
def impressum():
    return render_template("public/impressum.html")


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure means "not healthy"; the reason goes to the log, not the web
        current_app.logger.exception("health check failed")
        return {"status": "unavailable", "database": "error"}, 503
    return {"status": "ok", "database": "ok"}
