"""Error pages of the admin area; a refused form shows what was typed so nothing is lost."""

from __future__ import annotations

from flask import render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: "Diese Anfrage konnte nicht verarbeitet werden.",
    403: "Dafür fehlt Ihnen die Berechtigung.",
    404: "Diese Seite gibt es nicht.",
    405: "Diese Adresse kann so nicht aufgerufen werden.",
    413: "Die gesendeten Daten sind zu groß.",
    429: "Zu viele Versuche. Bitte warten Sie einige Minuten und versuchen Sie es dann erneut.",
    500: "Leider ist ein Fehler aufgetreten. Bitte versuchen Sie es später noch einmal.",
}
CSRF_MESSAGE = (
    "Das Formular ist abgelaufen (Sicherheitsprüfung). Bitte laden Sie die Seite neu und "
    "senden Sie es erneut."
)
# Never echoed back, even on an error page.
SECRET_FIELDS = {"csrf_token", "password", "password_confirm"}


def admin_error(error: HTTPException):
    code = error.code or 500
    message = CSRF_MESSAGE if isinstance(error, CSRFError) else None
    message = message or MESSAGES.get(code) or MESSAGES[400 if code < 500 else 500]
    return render_template("admin/error.html", code=code, message=message, typed=_typed()), code


def _typed() -> list[tuple[str, str]]:
    if request.method != "POST":
        return []
    try:
        form = request.form
    except HTTPException:
        return []
    return [
        (name, value)
        for name, value in form.items(multi=True)
        if name not in SECRET_FIELDS and value.strip()
    ]
