"""The refusal: a post over the collector's limits is answered before Flask sees it.

Under a flood the refusal is the answer the collector gives most, so it is its cheapest one. A
WSGI middleware in front of the app checks the limits (``portal.ratelimit.SubmitLimits``) and
answers a refused post itself with a small page (``templates/public/refused.html``): the message,
when to try again, the typed text in a read-only field to copy, and a link back to the form with
everything typed. No request context, no session or cookie, no form object, no database, no
masking; the page's texts are translated once per language at start-up. An accepted post goes on
to the app, and once it has been answered with 303 it counts against the limits.

The link back is the collector's own ``GET /submit`` with the values as query parameters, which
shows the form filled in (``portal.public.collector.submit_page``): the public forms may be a
frozen site that cannot read query parameters without a script, while the collector's address is
live in every set-up. A text too long for a link is left out of it, and the page says to copy it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from math import ceil
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_datetime
from babel.support import NullTranslations, Translations
from flask import Flask
from jinja2 import Environment
from werkzeug.exceptions import HTTPException
from werkzeug.formparser import parse_form_data

from portal.deadlines import BERLIN
from portal.headers import public_headers
from portal.i18n import DEFAULT_LANGUAGE, LANGUAGES, Language
from portal.public.intake import posted_fields
from portal.ratelimit import SubmitLimits
from portal.text import clean_text

# The fields the link back carries, in the order of the form.
LINK_FIELDS = ("rating", "kind", "area", "text", "contact_email", "contact_phone", "consent")
LINK_FIELDS += ("card", "lang")
# Longer links are cut by some servers and browsers (gunicorn's request line ends at 4094 bytes).
MAX_LINK = 2000
STATUS = "429 TOO MANY REQUESTS"
# What ``urllib.parse.quote_plus`` escapes: everything but letters, digits, ``_.-~`` and the space.
_UNSAFE = re.compile(rb"[^A-Za-z0-9_.~ -]")


def _(message: str) -> str:
    """Marks a text for ``make translations``; it is translated per language at start-up."""
    return message


TEXTS = {
    "title": _("Noch nicht gespeichert"),
    "message": _(
        "Es wurden gerade zu viele Nachrichten gesendet. Ihre Nachricht ist noch nicht gespeichert."
    ),
    "label": _("Ihre Nachricht"),
    "copy": _("Hier steht Ihr Text. Sie können ihn markieren und kopieren."),
    "back": _("Zurück zum Formular – Ihre Angaben sind schon eingetragen"),
    "back_short": _("Zurück zum Formular"),
    "too_long": _(
        "Ihr Text ist zu lang für den Link zum Formular. Bitte kopieren Sie ihn hier und fügen "
        "Sie ihn im Formular wieder ein."
    ),
}


class Catalogue:
    """One language's texts of the page, translated once."""

    def __init__(self, language: Language, translations: NullTranslations) -> None:
        self.language = language
        self.translations = translations
        self.locale = Locale.parse(language.locale)
        self.texts = {key: translations.gettext(text) for key, text in TEXTS.items()}

    def retry_when(self, seconds: int) -> str:
        if seconds <= 3600:
            minutes = max(1, ceil(seconds / 60))
            return self.translations.ngettext(
                "Bitte versuchen Sie es in %(num)d Minute noch einmal.",
                "Bitte versuchen Sie es in %(num)d Minuten noch einmal.",
                minutes,
            ) % {"num": minutes}
        retry_at = datetime.now(UTC) + timedelta(seconds=seconds)
        when = format_datetime(retry_at, "short", tzinfo=BERLIN, locale=self.locale)
        return self.translations.gettext("Bitte versuchen Sie es ab %(time)s noch einmal.") % {
            "time": when
        }


class RefusalPage:
    """The 429 answer, built from the environ alone."""

    def __init__(self, app: Flask) -> None:
        config = app.config
        folder = Path(app.root_path) / "translations"
        self.catalogues = {
            code: Catalogue(language, Translations.load(str(folder), [language.locale]))
            for code, language in LANGUAGES.items()
        }
        # An environment of its own: Flask's copies all its globals into every render's context.
        environment = Environment(loader=app.jinja_loader, autoescape=True)
        self.template = environment.get_template("public/refused.html")
        self.config = config
        self.collector_url = config["COLLECTOR_URL"]
        self.jobcenter = config["JOBCENTER_NAME"]
        self.stylesheet = f"{app.static_url_path}/css/portal.css"

    def __call__(self, environ: dict, start_response: Callable, seconds: int) -> Iterable[bytes]:
        typed = self._typed(environ)
        lang = typed.get("lang") if typed.get("lang") in LANGUAGES else DEFAULT_LANGUAGE
        catalogue = self.catalogues[lang]
        text = clean_text(typed.get("text")) or ""
        back, too_long = self._back_link(typed, text)
        body = self.template.render(
            language=catalogue.language,
            t=catalogue.texts,
            retry=catalogue.retry_when(seconds),
            text=text,
            too_long=too_long,
            back=back,
            jobcenter=self.jobcenter,
            stylesheet=environ.get("SCRIPT_NAME", "") + self.stylesheet,
        ).encode()
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Retry-After", str(seconds)),
            # The typed text must not stay in a shared cache or the browser's.
            ("Cache-Control", "no-store"),
            *public_headers(self.config, environ),
        ]
        start_response(STATUS, headers)
        return [body]

    def _typed(self, environ: dict) -> dict[str, str]:
        """The posted fields (first value of each); nothing when the body cannot be read.

        A browser's form (urlencoded, with its length) is parsed directly, anything else by
        werkzeug: its parser costs more than the rest of the refusal.
        """
        _body, posted = posted_fields(environ, self.config["MAX_FORM_MEMORY_SIZE"], replace=True)
        if posted is None:
            try:
                _stream, form, _files = parse_form_data(
                    environ,
                    max_form_memory_size=self.config["MAX_FORM_MEMORY_SIZE"],
                    max_content_length=self.config["MAX_CONTENT_LENGTH"],
                )
            except HTTPException:
                return {}
            posted = dict(form.items())  # a plain dict: a missing key in a MultiDict raises
        return {name: posted[name] for name in LINK_FIELDS if posted.get(name)}

    def _back_link(self, typed: dict[str, str], text: str) -> tuple[str, bool]:
        """The form's link with everything typed, and whether the text had to be left out."""
        values = {name: value for name, value in typed.items() if name != "text"}
        if text:
            values["text"] = text
        link = f"{self.collector_url}?{query(values)}" if values else self.collector_url
        if len(link) <= MAX_LINK:
            return link, False
        values.pop("text", None)
        return f"{self.collector_url}?{query(values)}", True


def query(values: Mapping[str, str]) -> str:
    """``urllib.parse.urlencode`` of the values, in a fraction of its time.

    urllib quotes byte by byte in Python; on the refusal's path that was its largest cost. Only
    the bytes that need it go through Python here.
    """
    return "&".join(f"{_quote(name)}={_quote(value)}" for name, value in values.items())


def _quote(value: str) -> str:
    escaped = _UNSAFE.sub(lambda match: b"%%%02X" % match[0][0], value.encode())
    return escaped.replace(b" ", b"+").decode("ascii")


class CollectorGate:
    """WSGI middleware: refuses posts to the collector over its limits, counts accepted ones."""

    def __init__(self, app: Flask, wsgi_app: Callable, limits: SubmitLimits) -> None:
        self.wsgi_app = wsgi_app
        self.limits = limits
        self.refusal = RefusalPage(app)

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        if environ.get("PATH_INFO") != "/submit" or environ.get("REQUEST_METHOD") != "POST":
            return self.wsgi_app(environ, start_response)
        client = environ.get("REMOTE_ADDR") or ""
        seconds = self.limits.retry_after(client)
        if seconds is not None:
            return self.refusal(environ, start_response, seconds)
        accepted = []

        def start(status: str, headers: list, exc_info: Any = None) -> Callable:
            # Only accepted submissions count: a citizen correcting a typo is not throttled.
            accepted.append(status.startswith("303"))
            return start_response(status, headers, exc_info)

        response = self.wsgi_app(environ, start)
        if any(accepted):
            self.limits.count(client)
        return response


def install(app: Flask) -> None:
    """Put the gate in front of the app, when limits are on (``KRM_RATELIMIT_ENABLED``)."""
    from portal.extensions import limiter

    if app.config["RATELIMIT_ENABLED"]:
        limits = SubmitLimits(app.config, limiter.storage)
        app.wsgi_app = CollectorGate(app, app.wsgi_app, limits)  # type: ignore[method-assign]
