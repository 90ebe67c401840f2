"""The collector: the one live public endpoint, where every form posts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, g, redirect, request, url_for
from flask_babel import gettext as _

from cards.services import find_card
from portal.db import utcnow
from portal.direct import Direct
from portal.extensions import db
from portal.i18n import DEFAULT_LANGUAGE, use_language
from portal.mail.outbox import send_after_response
from portal.public import bp
from portal.public.forms import FeedbackForm, submission_of
from portal.public.render import render_form
from portal.search_index import CATCH_UP_EVERY, catch_up_later
from portal.submissions import Rules, Submission, submit_feedback


@bp.post("/submit")
def submit():
    """Answer a post the fast path left to Flask (``portal.public.intake``): a field in error, a
    foreign page, a body that is not a browser's form. The limits were checked before
    (``portal.public.refusal``)."""
    form = FeedbackForm(request.form)
    use_language(form.language or DEFAULT_LANGUAGE)
    if not origin_allowed(
        current_app.config,
        request.host_url,
        request.headers.get("Origin"),
        request.headers.get("Referer"),
    ):
        notice = _(
            "Ihre Nachricht wurde von einer anderen Internetseite gesendet und deshalb nicht "
            "gespeichert. Bitte prüfen Sie sie und senden Sie sie hier noch einmal ab."
        )
        return render_form(form, status=403, notice=notice)
    if form.website.data:
        # A bot filled the honeypot: it gets the usual answer and we store nothing.
        return thanks()
    if not form.validate():
        return render_form(form, status=422)
    submission = submission_of(request.form.to_dict(), g.lang)
    if submission is None:  # not reached: both read the same rules (tests/test_intake.py)
        raise ValueError("FeedbackForm accepted a post that submission_of refuses")
    response = thanks()
    for after in store(current_app, submission):
        response.call_on_close(after)
    return response


def store(app: Flask, submission: Submission) -> list[Callable[[], None]]:
    """Store a valid submission and commit; returns what to run once the 303 has gone out.

    Straight on the driver's connection (``portal.direct``): the session's machinery would cost
    more than the insert itself. The service is the same as everywhere else. Every
    ``CATCH_UP_EVERY``-th entry, the search index takes in the latest ones after the answer
    (``portal.search_index``).
    """
    engine = db.engine_of(app)
    with Direct(engine) as transaction:
        stored = submit_feedback(transaction, submission, now=utcnow(), rules=rules_of(app))
        transaction.commit()
    later: list[Callable[[], None]] = []
    if stored.mail_id is not None and app.config["MAIL_SEND_ON_SUBMIT"]:
        # After the 303; the outbox (and cron) covers a mail server that is away.
        later.append(partial(send_after_response, app, [stored.mail_id]))
    if not stored.duplicate and stored.feedback_id % CATCH_UP_EVERY == 0:
        later.append(partial(catch_up_later, engine))
    return later


def rules_of(app: Flask) -> Rules:
    """The installation's rules, read from the settings once per app (not per submission)."""
    rules = app.extensions.get("krm.rules")
    if rules is None:
        rules = app.extensions["krm.rules"] = Rules.from_config(app.config)
    return rules


def thanks():
    """303 to the thank-you page of the form's language, where the public pages live."""
    return redirect(thanks_url(current_app, g.lang), code=303)


def thanks_url(app: Flask, lang: str) -> str:
    """The thank-you page's address in a language, built once per app (not per submission)."""
    urls = app.extensions.setdefault("krm.thanks_urls", {})
    url = urls.get(lang)
    if url is None:
        path = app.url_map.bind("localhost").build("public.danke", {"lang": lang})
        url = urls[lang] = app.config["PUBLIC_BASE_URL"] + path
    return url


def origin_allowed(
    config: Mapping[str, Any], host_url: str, origin: str | None, referer: str | None = None
) -> bool:
    """Refuse posts from foreign pages: a named ``Origin`` decides, else a ``Referer`` does.

    Our pages are sent with ``Referrer-Policy: no-referrer``, so browsers post their forms with
    ``Origin: null`` and no ``Referer``; old browsers send no ``Origin`` at all. ``null`` and a
    missing or empty header tell nothing: with neither header naming a page the post is let
    through, while a ``Referer`` naming a foreign page (a browser without ``Origin``) is refused.
    ``host_url`` is the address the post came to.
    """
    if origin and origin != "null":
        return _own_origin(config, host_url, origin)
    if referer and referer.strip():
        return _own_origin(config, host_url, referer)
    return True


def _own_origin(config: Mapping[str, Any], host_url: str, address: str) -> bool:
    """Whether a URL lies on the public site, the collector or a site of ``KRM_ALLOWED_ORIGINS``."""
    allowed = {
        origin_of(config["PUBLIC_BASE_URL"]),
        origin_of(config["COLLECTOR_URL"]),
        origin_of(host_url),
        *(origin_of(url) for url in config["ALLOWED_ORIGINS"]),
    } - {None}
    return origin_of(address) in allowed


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of a URL, lower case, as browsers send it in ``Origin``; None for
    what no browser sends (``http://[``)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


@bp.get("/submit")
def submit_page():
    """The form filled in with the values of the query (the 429 page links here); without any,
    a bookmarked or reloaded collector URL leads back to the form instead of an error."""
    if not request.args:
        return redirect(url_for("public.feedback", lang=DEFAULT_LANGUAGE), code=303)
    form = FeedbackForm(request.args)
    use_language(form.language or DEFAULT_LANGUAGE)
    found = find_card(db.session, form.card.data) if form.card.data else None
    body, status = render_form(form, location_name=found.location.name if found else None)
    # The typed text must not stay in a shared cache or the browser's.
    return body, status, {"Cache-Control": "no-store"}
