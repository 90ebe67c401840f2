"""Translations: every source text is translated, and the compiled catalogues are fresh."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.support import Translations

from portal.i18n import DEFAULT_LANGUAGE, LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "portal" / "translations"
OTHER_LOCALES = [lang.locale for code, lang in LANGUAGES.items() if code != DEFAULT_LANGUAGE]


def source_messages() -> set[str]:
    """The texts in the code and templates now, extracted as `make translations` does."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def catalog(locale: str):
    with (CATALOGS / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=locale)


@pytest.mark.parametrize("locale", OTHER_LOCALES)
def test_every_text_is_translated(locale):
    translated = {
        message.id if isinstance(message.id, str) else message.id[0]: message
        for message in catalog(locale)
        if message.id
    }
    missing = sorted(
        text
        for text in source_messages()
        if text not in translated
        or not all(
            translated[text].string
            if isinstance(translated[text].string, tuple)
            else [translated[text].string]
        )
        or translated[text].fuzzy
    )
    assert missing == [], f"untranslated in {locale} (run `make translations`): {missing}"


@pytest.mark.parametrize("locale", OTHER_LOCALES)
def test_compiled_catalogue_matches_its_source(locale):
    with (CATALOGS / locale / "LC_MESSAGES" / "messages.mo").open("rb") as fh:
        compiled = Translations(fh)
    for message in catalog(locale):
        if message.id and isinstance(message.id, str):
            assert compiled.gettext(message.id) == message.string, "run `make translations`"


PLACEHOLDER = re.compile(r"%\((\w+)\)\w")


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("locale", OTHER_LOCALES)
def test_translations_keep_placeholders_and_every_plural_form(locale):
    """Babel's checks (no unknown or mistyped placeholder), no placeholder dropped, and as many
    plural forms as the language has. A plural form may leave the number out (Arabic says
    "two minutes" in one word), but the last, general form keeps it."""
    source = catalog(locale)
    problems = [
        (message.id, [str(error) for error in errors]) for message, errors in source.check()
    ]
    assert problems == []
    for message in source:
        if not message.id:
            continue
        if message.pluralizable:
            assert len(message.string) == source.num_plurals, message.id
            assert all(message.string), message.id
            assert placeholders(message.string[-1]) == placeholders(message.id[1]), message.id
        else:
            assert placeholders(message.string) == placeholders(message.id), message.id
