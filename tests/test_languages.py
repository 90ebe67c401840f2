"""Every public page in every language: its lang and dir, a language switch, right to left for
Arabic, and the form sent in a language thanks in that language and stores it."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import stored_feedback

from cards.services import add_cards, add_location
from portal.extensions import db
from portal.i18n import DEFAULT_LANGUAGE, LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["/", "/feedback/", "/danke/", "/datenschutz/", "/barrierefreiheit/", "/impressum/"]
RTL = [code for code, language in LANGUAGES.items() if language.direction == "rtl"]


def localized(path: str, code: str) -> str:
    return path if code == DEFAULT_LANGUAGE else f"/{code}{path}"


class Page(HTMLParser):
    """The <html> attributes, the links of the language switch and the h1 of a page."""

    def __init__(self, html: str):
        super().__init__()
        self.html: dict[str, str | None] = {}
        self.switch: list[tuple[dict[str, str | None], str]] = []
        self.h1 = ""
        self._in_switch = self._in_link = self._in_h1 = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.html = attributes
        elif tag == "nav" and attributes.get("class") == "languages":
            self._in_switch = True
        elif tag == "a" and self._in_switch:
            self.switch.append((attributes, ""))
            self._in_link = True
        elif tag == "h1":
            self._in_h1 = True

    def handle_endtag(self, tag):
        if tag == "nav":
            self._in_switch = False
        elif tag == "a":
            self._in_link = False
        elif tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if self._in_link:
            attributes, text = self.switch[-1]
            self.switch[-1] = (attributes, text + data)
        if self._in_h1:
            self.h1 += data


@pytest.fixture
def card_code(app) -> str:
    with app.app_context():
        add_location(db.session, "HST", "Hauptstelle Musterstadt")
        code = add_cards(db.session, "HST", "Empfang")[0].code
        db.session.commit()
    return code


def assert_declares(page: Page, code: str) -> None:
    language = LANGUAGES[code]
    assert page.html == {"lang": language.lang_attribute, "dir": language.direction}


def assert_switch(page: Page, current: str, path: str | None) -> None:
    """One link per language, in its own name and marked with its language; the current one
    marked; each to ``path`` in that language (None: links checked elsewhere)."""
    assert [text.strip() for _attributes, text in page.switch] == [
        language.name for language in LANGUAGES.values()
    ]
    for (attributes, _text), (code, language) in zip(page.switch, LANGUAGES.items(), strict=True):
        assert attributes["lang"] == attributes["hreflang"] == language.lang_attribute
        assert ("aria-current" in attributes) == (code == current)
        if path is not None:
            assert attributes["href"] == localized(path, code)


@pytest.mark.parametrize("code", list(LANGUAGES))
@pytest.mark.parametrize("path", PAGES)
def test_every_page_declares_its_language_and_direction_and_switches(client, code, path):
    response = client.get(localized(path, code))
    assert response.status_code == 200
    page = Page(response.get_data(as_text=True))
    assert_declares(page, code)
    assert_switch(page, code, path)


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_the_card_form_and_the_error_pages_speak_every_language(client, card_code, code):
    page = Page(client.get(localized(f"/k/{card_code}/", code)).get_data(as_text=True))
    assert_declares(page, code)
    assert_switch(page, code, f"/k/{card_code}/")

    for path, status in (("/k/ZZZZZ/", 404), ("/gibt-es-nicht/", 404)):
        response = client.get(localized(path, code))
        assert response.status_code == status
        page = Page(response.get_data(as_text=True))
        assert_declares(page, code)
        assert_switch(page, code, None)


@pytest.mark.parametrize("code", [code for code in LANGUAGES if code != DEFAULT_LANGUAGE])
def test_every_language_is_translated_not_german(client, code):
    german = Page(client.get("/feedback/").get_data(as_text=True)).h1
    page = Page(client.get(localized("/feedback/", code)).get_data(as_text=True))
    assert page.h1 and page.h1 != german


def test_arabic_pages_are_right_to_left(client):
    assert RTL == ["ar"]
    for path in PAGES:
        assert '<html lang="ar" dir="rtl">' in client.get(f"/ar{path}").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in client.get("/en/").get_data(as_text=True)


def test_the_stylesheet_has_no_left_or_right_that_would_not_mirror():
    """Right to left mirrors through logical properties (inset-inline-start, …)."""
    css = (ROOT / "static" / "css" / "portal.css").read_text()
    physical = re.findall(r"[\w-]*(?:left|right)[\w-]*\s*:", css)
    assert physical == []


def test_an_arabic_form_thanks_in_arabic_and_stores_arabic(app, client, card_code):
    form = Page(client.get(f"/ar/k/{card_code}/").get_data(as_text=True))
    assert_declares(form, "ar")

    response = client.post(
        "/submit", data={"lang": "ar", "card": card_code, "rating": "4", "text": "شكرًا لكم"}
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "http://127.0.0.1:5000/ar/danke/"
    [feedback] = stored_feedback(app)
    assert (feedback.language, feedback.text, feedback.card.code) == ("ar", "شكرًا لكم", card_code)
    thanks = client.get("/ar/danke/").get_data(as_text=True)
    assert "شكرًا جزيلًا على ملاحظاتكم" in thanks


def test_a_refused_arabic_form_keeps_arabic_and_the_text(client):
    response = client.post("/submit", data={"lang": "ar", "text": "x" * 2001})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    assert "رسالتكم طويلة جدًا: الحد الأقصى 2000 حرف، يُرجى اختصارها." in html
    assert "x" * 2001 + "</textarea>" in html


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("ar", "يُرجى المحاولة مرة أخرى بعد دقيقة واحدة."),
        ("uk", "Будь ласка, спробуйте ще раз через 1 хвилину."),
        ("ru", "Пожалуйста, попробуйте ещё раз через 1 минуту."),
    ],
)
def test_the_429_page_speaks_the_form_s_language_with_its_plural(make_app, code, words):
    app = make_app(RATELIMIT_ENABLED=True, SUBMIT_LIMITS="1 per minute")
    client = app.test_client()
    assert client.post("/submit", data={"rating": "2", "lang": code}).status_code == 303
    response = client.post("/submit", data={"rating": "2", "text": "Noch einmal", "lang": code})
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    # The small 429 page has no language switch: it speaks the language the form was sent in.
    assert_declares(Page(html), code)
    assert words in html
    assert "Noch einmal</textarea>" in html


def test_phone_numbers_and_addresses_keep_their_order_on_right_to_left_pages(client):
    html = client.get("/ar/impressum/").get_data(as_text=True)
    assert '<span dir="ltr">01234 567-0</span>' in html
    assert '<span lang="de" dir="ltr">Musterstraße 1, 12345 Musterstadt</span>' in html
    german = client.get("/impressum/").get_data(as_text=True)
    assert "Telefon: 01234 567-0<br>" in german
