"""The public pages: present in every language, light, accessible in structure, cookieless."""

from __future__ import annotations

import gzip
import re
from html.parser import HTMLParser

import pytest

from portal.i18n import DEFAULT_LANGUAGE, LANGUAGES

PAGES = ["/", "/feedback/", "/danke/", "/datenschutz/", "/barrierefreiheit/", "/impressum/"]
BUDGET = 14 * 1024


def localized(path: str, code: str) -> str:
    return path if code == DEFAULT_LANGUAGE else f"/{code}{path}"


ALL_PAGES = [localized(path, code) for code in LANGUAGES for path in PAGES]


class Page(HTMLParser):
    """Collects what the accessibility checks need from a page."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.label_for: set[str] = set()
        self.stylesheets: list[str] = []
        self.icons: list[dict] = []
        self.links: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "label" and attributes.get("for"):
            self.label_for.add(attributes["for"])
        if tag == "link" and attributes.get("rel") == "stylesheet":
            self.stylesheets.append(attributes["href"])
        if tag == "link" and attributes.get("rel") == "icon":
            self.icons.append(attributes)
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])

    def all(self, tag):
        return [attributes for name, attributes in self.tags if name == tag]


@pytest.mark.parametrize("path", ALL_PAGES)
def test_every_page_is_there_without_cookies_or_scripts(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    page = Page(response.get_data(as_text=True))
    assert page.all("script") == []
    assert len(page.all("h1")) == 1
    assert page.all("main")


@pytest.mark.parametrize("path", ALL_PAGES)
def test_every_page_with_its_css_fits_in_14_kb_gzip(client, path):
    response = client.get(path)
    page = Page(response.get_data(as_text=True))
    weight = len(gzip.compress(response.data))
    icons = [icon["href"] for icon in page.icons]
    for href in page.stylesheets + icons + [tag["src"] for tag in page.all("img")]:
        weight += len(gzip.compress(client.get(href).data))
    assert weight <= BUDGET, f"{path} weighs {weight} bytes gzip"


def description(html: str) -> str:
    [meta] = [tag for tag in Page(html).all("meta") if tag.get("name") == "description"]
    return meta["content"]


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_every_page_describes_itself_in_its_language(client, code):
    """Search engines show the description under the title: one of its own for every page."""
    texts = {
        path: description(client.get(localized(path, code)).get_data(as_text=True))
        for path in PAGES
    }
    assert len(set(texts.values())) == len(PAGES), texts
    for path, text in texts.items():
        assert 40 <= len(text) <= 160, (path, text)
        if code != DEFAULT_LANGUAGE:
            german = description(client.get(path).get_data(as_text=True))
            assert text != german, (code, path)
    english = description(client.get("/en/feedback/").get_data(as_text=True))
    assert english.startswith("The form for your feedback to the Jobcenter")
    missing = client.get(localized("/gibt-es-nicht/", code))
    assert missing.status_code == 404 and description(missing.get_data(as_text=True))


def test_every_page_has_an_svg_favicon_and_favicon_ico_answers(client):
    for path in ALL_PAGES:
        [icon] = Page(client.get(path).get_data(as_text=True)).icons
        assert icon["type"] == "image/svg+xml" and icon["href"] == "/static/favicon.svg"
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.data.startswith(b"<svg") and len(svg.data) < 1024
    ico = client.get("/favicon.ico")
    assert (ico.status_code, ico.mimetype) == (200, "image/vnd.microsoft.icon")
    assert ico.data[:4] == b"\x00\x00\x01\x00", "a real ICO file, not the SVG"
    assert "Set-Cookie" not in ico.headers


def test_robots_txt_keeps_crawlers_out_of_the_admin_area_and_the_collector(client):
    response = client.get("/robots.txt")
    assert (response.status_code, response.mimetype) == (200, "text/plain")
    assert response.get_data(as_text=True) == (
        "User-agent: *\nDisallow: /admin/\nDisallow: /submit\n"
    )


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("deny", "User-agent: *\nDisallow: /\n"),
        (" Allow ", "User-agent: *\nDisallow: /portal/admin/\nDisallow: /portal/submit\n"),
        ("User-agent: *\nDisallow: /intern/", "User-agent: *\nDisallow: /intern/\n"),
    ],
    ids=["deny", "allow-under-a-sub-path", "own-text"],
)
def test_robots_txt_says_what_the_installation_wants(make_app, setting, expected):
    app = make_app(ROBOTS=setting, PUBLIC_BASE_URL="https://jc.example/portal")
    assert app.test_client().get("/robots.txt").get_data(as_text=True) == expected


def test_a_robots_setting_that_is_neither_a_choice_nor_a_text_is_refused(make_app):
    from portal.settings import ConfigurationError

    with pytest.raises(ConfigurationError, match="KRM_ROBOTS"):
        make_app(ROBOTS="alow")


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_pages_declare_their_language_and_link_to_every_other(client, code):
    html = client.get(localized("/feedback/", code)).get_data(as_text=True)
    assert f'<html lang="{LANGUAGES[code].lang_attribute}"' in html
    page = Page(html)
    for other in LANGUAGES:
        assert localized("/feedback/", other) in page.links


def test_english_pages_are_in_english(client):
    html = client.get("/en/feedback/").get_data(as_text=True)
    assert "Your feedback" in html
    assert "Ihre Rückmeldung" not in html
    assert 'action="/submit"' in html
    assert 'name="lang" value="en"' in html


def test_every_form_field_has_a_label_and_groups_have_a_legend(client):
    page = Page(client.get("/feedback/").get_data(as_text=True))
    inputs = [tag for tag in page.all("input") if tag.get("type") != "hidden"]
    inputs += page.all("textarea")
    assert len(inputs) >= 15
    for field in inputs:
        assert field["id"] in page.label_for, f"no label for {field['id']}"
    assert len(page.all("fieldset")) == len(page.all("legend")) == 3


def test_the_rating_is_labelled_in_words_not_only_faces(client):
    html = client.get("/feedback/").get_data(as_text=True)
    for words in ("sehr unzufrieden", "teils, teils", "sehr zufrieden"):
        assert words in html
    faces = re.findall(r'<svg class="face"[^>]*aria-hidden="true"', html)
    assert len(faces) == 5


def test_the_form_says_it_is_anonymous_and_what_is_not_handled_here(client):
    html = client.get("/feedback/").get_data(as_text=True)
    assert "anonym" in html
    assert "Widersprüche" in html
    start = client.get("/").get_data(as_text=True)
    assert 'id="not-here"' in start
    assert "Widerspruch" in start and "Leistungsmissbrauch" in start


def test_the_honeypot_is_labelled_and_out_of_the_tab_order(client):
    html = client.get("/feedback/").get_data(as_text=True)
    assert '<label for="website">Dieses Feld bitte leer lassen</label>' in html
    assert re.search(r'<input type="text" id="website"[^>]*tabindex="-1"', html)


def test_the_jobcenter_is_configurable(make_app):
    client = make_app(JOBCENTER_NAME="Jobcenter Rhein-Lahn").test_client()
    assert "Jobcenter Rhein-Lahn" in client.get("/impressum/").get_data(as_text=True)


def test_the_accessibility_statement_says_when_how_and_where_to_complain(make_app):
    app = make_app(
        ACCESSIBILITY_REVIEWED="2027-03-15",
        JOBCENTER_EMAIL="barrierefrei@jc-rhein-lahn.de",
        JOBCENTER_PHONE="02603 123-0",
    )
    client = app.test_client()
    html = client.get("/barrierefreiheit/").get_data(as_text=True)
    assert "Stand: 15. März 2027" in html
    assert "BITV 2.0 teilweise vereinbar" in html
    assert "axe-core" in html and "320 Pixel" in html and "Tastatur" in html
    assert "Deutscher Gebärdensprache" in html  # a known limitation
    assert "barrierefrei@jc-rhein-lahn.de" in html and "02603 123-0" in html
    assert 'href="/feedback/"' in html
    assert "Schlichtungsstelle nach § 16 Behindertengleichstellungsgesetz" in html
    assert 'href="mailto:info@schlichtungsstelle-bgg.de"' in html
    english = client.get("/en/barrierefreiheit/").get_data(as_text=True)
    assert "Last reviewed: March 15, 2027" in english
    assert 'href="/en/feedback/"' in english


def test_the_review_date_of_the_statement_must_be_a_date(make_app):
    from portal.settings import ConfigurationError

    with pytest.raises(ConfigurationError, match="2026-12-02"):
        make_app(ACCESSIBILITY_REVIEWED="im Dezember")


@pytest.mark.parametrize("path", ["/gibt-es-nicht", "/de/feedback/", "/xx/feedback/"])
def test_unknown_pages_get_a_friendly_404_with_a_way_on(client, path):
    response = client.get(path)
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Diese Seite gibt es nicht." in html
    assert 'href="/feedback/"' in html
    assert "Set-Cookie" not in response.headers


def test_healthz_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_says_so_when_the_database_is_broken(make_app, tmp_path):
    database = tmp_path / "broken.sqlite3"
    database.write_bytes(b"this is not a database" * 100)
    app = make_app(DATABASE_URL=f"sqlite:///{database}")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"


def test_the_language_switch_on_a_refused_form_leads_to_the_form(client):
    html = client.post("/submit", data={"lang": "en"}).get_data(as_text=True)
    page = Page(html)
    assert "/feedback/" in page.links and "/en/feedback/" in page.links


def test_a_crash_gets_a_friendly_500_page(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("bug")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "Leider ist ein Fehler aufgetreten." in response.get_data(as_text=True)
