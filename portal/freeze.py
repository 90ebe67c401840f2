"""``krm freeze``: the public pages as static files that any web server can host.

Only the collector (``POST /submit``) stays live; the frozen forms post to ``COLLECTOR_URL`` and the
collector redirects back to the frozen thank-you page under ``PUBLIC_BASE_URL``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask_frozen import Freezer, MissingURLGeneratorWarning

from cards.services import list_cards
from portal import create_app
from portal.extensions import db
from portal.i18n import DEFAULT_LANGUAGE, LANGUAGES
from portal.progress import Track, counted, quiet
from portal.public import LOCALIZED

# Written into every output folder, so a later freeze knows it may replace the folder's content.
MARKER = ".meinungskarte-site"
MARKER_TEXT = "Written by `krm freeze`. The next freeze replaces every file in this folder.\n"
CARD_ENDPOINT = "public.card"
# Files no page links to but browsers and crawlers ask for at the site's root.
ROOT_FILES = ("/robots.txt", "/favicon.ico")
# No page has these paths: the app answers each with its friendly 404 page in the language of the
# path's prefix, which we keep as the file of that name.
NOT_FOUND_PAGE = "404.html"


class FreezeError(Exception):
    """The site cannot be frozen into the given folder; the message says why."""


@dataclass(frozen=True)
class FrozenSite:
    out: Path
    files: list[str]  # paths relative to ``out``, sorted
    collector_url: str

    @property
    def pages(self) -> int:
        return sum(1 for name in self.files if name.endswith(".html"))


def freeze_site(config: dict[str, Any] | None, out: Path, *, track: Track = quiet) -> FrozenSite:
    """Write every public page in every language, one card page per card, and the assets.

    ``config`` overrides settings like ``create_app`` does (the instance file and ``KRM_*``
    variables still apply). Cards come from the database, retired ones included: printed cards
    stay in use long after they are retired, and their QR codes must keep leading to a form.
    """
    out = out.resolve()
    _check_destination(out)
    app = create_app({**(config or {}), "PUBLIC_ONLY": True, "FREEZING": True})
    try:
        public_base_url = app.config["PUBLIC_BASE_URL"]
        app.config.update(
            FREEZER_DESTINATION=str(out),
            FREEZER_DESTINATION_IGNORE=[MARKER],
            FREEZER_RELATIVE_URLS=True,
            FREEZER_BASE_URL=_origin(public_base_url),
            FREEZER_REDIRECT_POLICY="error",
        )
        with app.app_context():
            codes = [card.code for card in list_cards(db.session, include_retired=True)]

        def pages() -> Iterator[tuple[str, dict[str, str]] | str]:
            for lang in LANGUAGES:
                for endpoint in sorted(LOCALIZED - {CARD_ENDPOINT}):
                    yield endpoint, {"lang": lang}
                for code in codes:
                    yield CARD_ENDPOINT, {"code": code, "lang": lang}
            yield from ROOT_FILES

        # Static files only as the pages ask for them (their url_for calls, logged by the
        # freezer): the admin area's and the print sheets' stylesheets stay out of the site.
        freezer = Freezer(
            app, with_static_files=False, with_no_argument_rules=False, log_url_for=True
        )
        freezer.register_generator(pages)
        out.mkdir(parents=True, exist_ok=True)
        (out / MARKER).write_text(MARKER_TEXT)
        with warnings.catch_warnings():
            # The collector and the health check have GET rules too; they stay live on purpose.
            warnings.simplefilter("ignore", MissingURLGeneratorWarning)
            # The pages and root files; the assets they ask for come on top (a few).
            total = len(LANGUAGES) * (len(LOCALIZED - {CARD_ENDPOINT}) + len(codes))
            with track("Freezing pages", total + len(ROOT_FILES)) as advance:
                files = {page.path.as_posix() for page in counted(freezer.freeze_yield(), advance)}
        for lang in LANGUAGES:
            path = not_found_path(lang)
            (out / path).write_bytes(_not_found_page(app, public_base_url, "/" + path))
            files.add(path)
        return FrozenSite(out, sorted(files), app.config["COLLECTOR_URL"])
    finally:
        with app.app_context():
            db.engine.dispose()


def _check_destination(out: Path) -> None:
    """Frozen-Flask deletes every file in the destination it did not write: guard other folders."""
    if out.exists() and not out.is_dir():
        raise FreezeError(f"{out} exists and is not a folder.")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise FreezeError(
            f"{out} is not empty and was not written by `krm freeze`; freezing would delete its "
            "files. Choose a new or empty folder."
        )


def _origin(url: str) -> str:
    """``scheme://host`` of a URL: the base URL the pages are rendered under.

    The relative links do not depend on the sub-path, and Frozen-Flask 1.0.2 gets them wrong when
    the base URL has one (it relativizes the prefixed ``url_for`` result against the unprefixed
    request path, giving ``../meinungskarte/…``), so the pages are rendered as if at the root.
    """
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def not_found_path(lang: str) -> str:
    """``404.html`` for German, ``en/404.html`` … for the others, where their pages are."""
    return NOT_FOUND_PAGE if lang == DEFAULT_LANGUAGE else f"{lang}/{NOT_FOUND_PAGE}"


def _not_found_page(app: Flask, public_base_url: str, probe: str) -> bytes:
    """The app's own 404 page, for the web server's ``error_page 404 /404.html`` (``/en/…``).

    It is served for any missing path at any depth, so its links must not be relative: it is
    rendered live (without Frozen-Flask's relative ``url_for``) under the real base URL, which
    makes them absolute paths that include the site's sub-path.
    """
    response = app.test_client().get(probe, base_url=public_base_url)
    if response.status_code != 404:
        raise FreezeError(f"Expected a 404 page for {probe}, got {response.status}.")
    return response.data
