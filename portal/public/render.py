"""Rendering the form, shared by the form page, the collector and the error pages."""

from __future__ import annotations

from flask import current_app, g, render_template, url_for

from portal.i18n import DEFAULT_LANGUAGE
from portal.public.forms import FeedbackForm


def render_form(form: FeedbackForm, *, status: int = 200, notice: str | None = None, **context):
    """The form page, with everything the person typed, errors and an optional notice on top."""
    form.lang.data = g.get("lang", DEFAULT_LANGUAGE)
    return (
        render_template(
            "public/feedback.html",
            form=form,
            notice=notice,
            action=collector_url(),
            **context,
        ),
        status,
    )


def collector_url() -> str:
    """Where forms post: the live collector, or ``KRM_COLLECTOR_URL`` in a frozen site."""
    if current_app.config.get("FREEZING"):
        return current_app.config["COLLECTOR_URL"]
    return url_for("public.submit")
