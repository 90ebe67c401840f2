"""The collector's fast path: a browser's valid post is stored before Flask sees it.

Nearly every post to the collector is a citizen's form, filled in correctly. For those, this WSGI
layer (behind the refusal gate, ``portal.public.refusal``) reads the urlencoded body, checks the
origin and every field with the form's own rules (``portal.public.forms.submission_of``), stores
the submission through the same service and transaction as the view
(``portal.public.collector.store``) and answers the view's 303. No request context, no cookie
session, no form object: those cost more than storing the submission.

Everything else goes on to the view with the body as it was read, and is answered there as
before: a field in error (the form again with its messages), a foreign page (403), a body that
is not a browser's urlencoded form, one over the size limits, or one that is not UTF-8.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask
from werkzeug.utils import redirect
from werkzeug.wsgi import ClosingIterator, get_host

from portal.headers import public_headers
from portal.i18n import DEFAULT_LANGUAGE, LANGUAGES
from portal.public.collector import origin_allowed, store, thanks_url
from portal.public.forms import submission_of

URLENCODED = "application/x-www-form-urlencoded"


def posted_fields(
    environ: dict, max_size: int, *, replace: bool = False
) -> tuple[bytes | None, dict[str, str] | None]:
    """The raw body and the first value of each posted name, for a browser's urlencoded form.

    ``(None, None)`` when the body was not read (another type, no length, too long); ``(body,
    None)`` when it was read but is not UTF-8. Percent escapes that are not UTF-8 stay as they
    were, as werkzeug's parser leaves them. With ``replace`` (the refusal, which only shows the
    text back) what is not UTF-8 becomes U+FFFD instead.
    """
    length = environ.get("CONTENT_LENGTH") or ""
    mimetype = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
    if mimetype != URLENCODED or not length.isdigit():
        return None, None
    if int(length) > max_size:
        return None, None
    body = environ["wsgi.input"].read(int(length))
    try:
        text = body.decode(errors="replace" if replace else "strict")
    except UnicodeDecodeError:
        return body, None
    fields: dict[str, str] = {}
    escapes = "replace" if replace else "werkzeug.url_quote"
    for name, value in parse_qsl(text, keep_blank_values=True, errors=escapes):
        fields.setdefault(name, value)
    return body, fields


class Intake:
    """WSGI middleware: stores a valid post to ``/submit`` itself, passes on everything else."""

    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        # Flask's limits (None: none); a body over them goes to Flask, which answers 413.
        limits = (app.config["MAX_FORM_MEMORY_SIZE"], app.config["MAX_CONTENT_LENGTH"])
        self.max_size = min((limit for limit in limits if limit is not None), default=2**63)
        self._thanks: dict[str, tuple[bytes, list[tuple[str, str]]]] = {}

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        if environ.get("PATH_INFO") != "/submit" or environ.get("REQUEST_METHOD") != "POST":
            return self.wsgi_app(environ, start_response)
        body, fields = posted_fields(environ, self.max_size)
        if body is not None:
            environ["wsgi.input"] = io.BytesIO(body)  # the view reads it again if it must
        if fields is None or not self._from_own_page(environ):
            return self.wsgi_app(environ, start_response)
        lang = fields.get("lang", "").strip()
        lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        if fields.get("website", "").strip():
            # A bot filled the honeypot: it gets the usual answer and we store nothing.
            return self._thank(environ, start_response, lang)
        submission = submission_of(fields, lang)
        if submission is None:
            return self.wsgi_app(environ, start_response)
        try:
            after = store(self.app, submission)
        except Exception:
            # Nothing was committed: the view tries once more, and answers with the error page
            # if it fails too.
            self.app.logger.exception("Storing a submission failed; the view tries again.")
            return self.wsgi_app(environ, start_response)
        return self._thank(environ, start_response, lang, after)

    def _from_own_page(self, environ: dict) -> bool:
        scheme = environ.get("wsgi.url_scheme", "http")
        host_url = f"{scheme}://{get_host(environ)}{environ.get('SCRIPT_NAME', '')}/"
        return origin_allowed(
            self.app.config, host_url, environ.get("HTTP_ORIGIN"), environ.get("HTTP_REFERER")
        )

    def _thank(
        self,
        environ: dict,
        start_response: Callable,
        lang: str,
        after: list[Callable[[], None]] | None = None,
    ) -> Iterable[bytes]:
        """The view's 303 to the thank-you page, byte for byte."""
        found = self._thanks.get(lang)
        if found is None:
            response = redirect(thanks_url(self.app, lang), code=303)
            found = self._thanks[lang] = (response.get_data(), list(response.headers.items()))
        body, headers = found
        start_response("303 SEE OTHER", [*headers, *public_headers(self.app.config, environ)])
        return ClosingIterator([body], after) if after else [body]


def install(app: Flask) -> None:
    """Put the fast path in front of the app (the refusal gate goes in front of it)."""
    app.wsgi_app = Intake(app, app.wsgi_app)  # type: ignore[method-assign]
