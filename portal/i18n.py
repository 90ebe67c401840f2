"""Languages of the public pages: German at the root, every other language under ``/<lang>/``.

Adding a language: one line in ``LANGUAGES`` and a catalogue in ``portal/translations/<locale>/``
(``make translation-new LANG=xx`` creates it).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, g
from flask_babel import Babel, refresh
from markupsafe import Markup
from werkzeug.routing import BaseConverter


@dataclass(frozen=True)
class Language:
    code: str  # the URL prefix
    locale: str  # the Babel locale of its catalogue
    name: str  # its own name, as shown in the language switch
    direction: str = "ltr"
    html_lang: str = ""  # the lang attribute, if it differs from the locale

    @property
    def lang_attribute(self) -> str:
        return self.html_lang or self.locale.replace("_", "-")


LANGUAGES: dict[str, Language] = {
    language.code: language
    for language in (
        Language("de", "de", "Deutsch"),
        Language("en", "en", "English"),
        Language("ar", "ar", "العربية", direction="rtl"),
        Language("uk", "uk", "Українська"),
        Language("ru", "ru", "Русский"),
        Language("tr", "tr", "Türkçe"),
        # German in Leichte Sprache: the locale modifier (as in sr@latin) gives it its own
        # catalogue, translations/de@ls/, while dates and numbers follow de; German is untouched.
        Language("ls", "de@ls", "Leichte Sprache", html_lang="de"),
    )
}
DEFAULT_LANGUAGE = "de"


def language(code: str | None) -> Language:
    """The language for a code, falling back to German for anything unknown."""
    return LANGUAGES.get(code or DEFAULT_LANGUAGE, LANGUAGES[DEFAULT_LANGUAGE])


def current_language() -> Language:
    return language(g.get("lang"))


def language_of_path(path: str) -> str:
    """The language whose prefix a path has (``/ar/…`` → ``ar``), German for any other path."""
    prefix = path.lstrip("/").partition("/")[0]
    return prefix if prefix in LANGUAGES and prefix != DEFAULT_LANGUAGE else DEFAULT_LANGUAGE


def use_language(code: str) -> None:
    """Render the rest of this request in the language ``code``.

    Flask-Babel caches the locale on ``g``, which lives as long as the app context: the
    requests of a freeze share one, so without the refresh every page after the first would
    keep the first page's language.
    """
    g.lang = code
    refresh()


class LanguageConverter(BaseConverter):
    """Matches only the prefixes of non-default languages, so ``/de/…`` and ``/xx/…`` are 404s."""

    def __init__(self, url_map, *args, **kwargs):
        super().__init__(url_map, *args, **kwargs)
        self.regex = "|".join(code for code in LANGUAGES if code != DEFAULT_LANGUAGE)


def isolate(value: object, lang: str | None = None) -> Markup:
    """A value that reads left to right on any page: a phone number, an address, a German name.

    On a right-to-left page it is isolated from the sentence around it, so that "01234 567-0"
    does not become "567-0 01234"; ``lang`` names its language where it differs from the page's.
    """
    page = current_language()
    other = lang if lang and lang != page.lang_attribute else None
    if page.direction == "ltr" and other is None:
        return Markup("{}").format(value)
    attributes = Markup(' lang="{}"').format(other) if other else Markup()
    return Markup('<span{} dir="ltr">{}</span>').format(attributes, value)


def init_app(app: Flask, babel: Babel) -> None:
    app.url_map.converters["lang"] = LanguageConverter
    babel.init_app(
        app,
        default_locale=LANGUAGES[DEFAULT_LANGUAGE].locale,
        default_timezone="Europe/Berlin",
        locale_selector=lambda: current_language().locale,
    )
    app.jinja_env.globals.update(languages=LANGUAGES, current_language=current_language)
    app.jinja_env.filters["isolate"] = isolate
