"""Error pages: German (or the page's language), friendly, and never losing what was typed."""

from __future__ import annotations

from flask import Flask, g, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from portal.i18n import language_of_path, use_language

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
    if "lang" not in g:  # no page matched: speak the language of the address's prefix
        use_language(language_of_path(request.path))
    message = MESSAGES.get(code) or MESSAGES[400 if code < 500 else 500]
    return render_template("public/error.html", code=code, message=message), code


def init_app(app: Flask) -> None:
    # Unhandled exceptions reach this handler too, wrapped in an InternalServerError.
    app.register_error_handler(HTTPException, http_error)
