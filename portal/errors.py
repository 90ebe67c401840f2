"""Error pages: German (or the page's language), friendly, and never losing what was typed."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta

from flask import Flask, g, render_template, request
from flask_babel import format_datetime, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from portal.extensions import limiter
from portal.i18n import DEFAULT_LANGUAGE, language_of_path, use_language
from portal.public.forms import FeedbackForm
from portal.public.render import render_form


def too_many_requests(_error: HTTPException):
    """The 429 page shows the form again with the text, so it can be copied or sent later."""
    form = FeedbackForm(_submitted_form())
    use_language(form.language or g.get("lang", DEFAULT_LANGUAGE))
    limit = limiter.current_limit
    seconds = max(1, int(limit.reset_at - time.time())) if limit else 60
    notice = " ".join(
        (
            _(
                "Es wurden gerade zu viele Nachrichten gesendet. Ihre Nachricht ist noch nicht "
                "gespeichert."
            ),
            _retry_when(seconds),
            _("Ihr Text steht unten und bleibt erhalten, Sie können ihn auch kopieren."),
        )
    )
    body, status = render_form(form, status=429, notice=notice)
    return body, status, {"Retry-After": str(seconds)}


def _retry_when(seconds: int) -> str:
    if seconds <= 3600:
        minutes = max(1, math.ceil(seconds / 60))
        return ngettext(
            "Bitte versuchen Sie es in %(num)d Minute noch einmal.",
            "Bitte versuchen Sie es in %(num)d Minuten noch einmal.",
            minutes,
        )
    retry_at = datetime.now(UTC) + timedelta(seconds=seconds)
    return _(
        "Bitte versuchen Sie es ab %(time)s noch einmal.",
        time=format_datetime(retry_at, "short"),
    )


def _submitted_form():
    try:
        return request.form
    except HTTPException:
        return None


MESSAGES = {
    400: _l("Diese Anfrage konnte nicht verarbeitet werden."),
    404: _l("Diese Seite gibt es nicht."),
    405: _l("Diese Adresse kann nicht direkt aufgerufen werden."),
    413: _l(
        "Die gesendeten Daten sind zu groß. Bitte gehen Sie im Browser zurück und kürzen Sie "
        "Ihre Nachricht – Ihr Text steht dort in der Regel noch."
    ),
    500: _l("Leider ist ein Fehler aufgetreten. Bitte versuchen Sie es später noch einmal."),
}


def http_error(error: HTTPException):
    code = error.code or 500
    if code == 429:
        return too_many_requests(error)
    if "lang" not in g:  # no page matched: speak the language of the address's prefix
        use_language(language_of_path(request.path))
    message = MESSAGES.get(code) or MESSAGES[400 if code < 500 else 500]
    return render_template("public/error.html", code=code, message=message), code


def init_app(app: Flask) -> None:
    # Unhandled exceptions reach this handler too, wrapped in an InternalServerError.
    app.register_error_handler(HTTPException, http_error)
