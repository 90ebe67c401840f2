"""Accessibility in a real browser: axe-core in Debian's Chromium, at 320 px and at desktop width.

Every public page in every language and the main admin pages are loaded from a live server and
checked for WCAG 2.1 A/AA violations (axe-core), sideways scrolling and Content-Security-Policy
violations; a keyboard-only visitor fills in and sends the form. One browser for the module;
Playwright drives Debian's Chromium (``apt-get install chromium``), never a downloaded browser.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from conftest import base_config, load_demo_site, stored_feedback
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from admin.demo import DEMO_PASSWORD
from portal import create_app
from portal.extensions import db
from portal.i18n import DEFAULT_LANGUAGE, LANGUAGES

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="Chromium is not installed (apt-get install chromium); CI installs it and never skips",
)

# Headless, and quiet: without the background-networking switches Chromium phones home, which a
# closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDTHS = {"320px": 320, "desktop": 1280}
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
PUBLIC_PAGES = ("/", "/feedback/", "/k/{code}/", "/danke/", "/datenschutz/", "/barrierefreiheit/")
PUBLIC_PAGES += ("/impressum/", "/gibt-es-nicht/")
ADMIN_PAGES = (
    "/admin/",
    "/admin/?status=neu&kind=kritik",
    "/admin/entries/{feedback}",
    "/admin/entries/{review_feedback}",
    "/admin/paper/",
    "/admin/paper/scan",
    "/admin/paper/review",
    "/admin/cards/",
    "/admin/cards/{code}/retire",
    "/admin/settings/",
    "/admin/google/",
    "/admin/google/reviews/{review}",
    "/admin/google/templates",
    "/admin/google/templates/{template}",
    "/admin/export/",
    "/admin/surveys/",
    "/admin/reports/",
    "/admin/reports/jahr",
    "/admin/audit/",
)


def localized(path: str, code: str) -> str:
    return path if code == DEFAULT_LANGUAGE else f"/{code}{path}"


class Live:
    """The app behind a real werkzeug server on a free loopback port, with the demo data."""

    def __init__(self, tmp: Path, database: Path):
        shutil.copy(database, tmp / "krm.sqlite3")
        self.app = create_app(base_config(tmp / "krm.sqlite3"))
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.port}"
        # Redirects after a submission lead back here, as they would to the public site.
        self.app.config.update(PUBLIC_BASE_URL=self.url, COLLECTOR_URL=f"{self.url}/submit")
        self.site = load_demo_site(self.app, tmp)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        with self.app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def live(tmp_path_factory, migrated_database):
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("KRM_"):
                patch.delenv(name)
        tmp = tmp_path_factory.mktemp("browser")
        patch.setenv("KRM_INSTANCE_PATH", str(tmp / "instance"))
        server = Live(tmp, migrated_database)
        yield server
        server.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM or "/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class Tab:
    """One browser tab at one width; remembers what the console said about the page."""

    def __init__(self, browser, width: int):
        self.context = browser.new_context(viewport={"width": width, "height": 800})
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.page.on("console", lambda message: self.console.append(message.text))

    def open(self, url: str, status: int = 200) -> None:
        self.console.clear()
        response = self.page.goto(url)
        assert response is not None and response.status == status, url

    def check(self, what: str) -> None:
        """No WCAG violation, no sideways scrolling, nothing refused by the CSP."""
        results = AXE.run(self.page, options=AXE_OPTIONS)
        assert results.violations_count == 0, f"{what}\n{results.generate_report()}"
        scroll, width = self.page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        assert scroll <= width, f"{what} scrolls sideways: {scroll} px content in {width} px"
        refused = [text for text in self.console if "Content Security Policy" in text]
        assert not refused, f"{what}: {refused}"

    def close(self) -> None:
        self.context.close()


AXE = Axe()


@pytest.fixture(scope="module")
def public_tabs(browser):
    tabs = {name: Tab(browser, width) for name, width in WIDTHS.items()}
    yield tabs
    for tab in tabs.values():
        tab.close()


@pytest.fixture(scope="module")
def admin_tabs(browser, live):
    tabs = {name: Tab(browser, width) for name, width in WIDTHS.items()}
    for tab in tabs.values():
        sign_in(tab, live)
    yield tabs
    for tab in tabs.values():
        tab.close()


def sign_in(tab: Tab, live: Live) -> None:
    tab.open(f"{live.url}/admin/login")
    tab.page.fill("#name", "krm")
    tab.page.fill("#password", DEMO_PASSWORD)
    with tab.page.expect_navigation():
        tab.page.click("button[type=submit]")
    assert tab.page.url == f"{live.url}/admin/"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_are_accessible(live, public_tabs, width, lang, path):
    tab = public_tabs[width]
    url = live.url + localized(path.format(**live.site), lang)
    tab.open(url, status=404 if "gibt-es-nicht" in path else 200)
    assert tab.context.cookies() == []
    tab.check(f"{url} at {width}")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_a_refused_form_is_accessible(live, public_tabs, width, lang):
    """Errors in the summary and beside the fields, with the contact details open."""
    tab = public_tabs[width]
    tab.open(live.url + localized("/feedback/", lang))
    tab.page.click("summary")
    tab.page.fill("#contact_email", "keine-adresse")
    with tab.page.expect_navigation():
        tab.page.click("button[type=submit]")
    assert tab.page.locator(".error-summary li").count() >= 2
    tab.check(f"the refused form in {lang} at {width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_login_page_and_its_error_are_accessible(live, browser, width):
    tab = Tab(browser, WIDTHS[width])
    try:
        tab.open(f"{live.url}/admin/login")
        tab.check(f"login at {width}")
        tab.page.fill("#name", "krm")
        tab.page.fill("#password", "falsch")
        with tab.page.expect_navigation():
            tab.page.click("button[type=submit]")
        assert tab.page.locator(".error-summary").is_visible()
        tab.check(f"refused login at {width}")
    finally:
        tab.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_are_accessible(live, admin_tabs, width, path):
    tab = admin_tabs[width]
    url = live.url + path.format(**live.site)
    tab.open(url)
    tab.check(f"{url} at {width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_refused_paper_card_is_accessible(live, admin_tabs, width):
    tab = admin_tabs[width]
    tab.open(f"{live.url}/admin/paper/")
    with tab.page.expect_navigation():
        tab.page.click("main button[type=submit]")
    assert tab.page.locator(".error-summary").is_visible()
    tab.check(f"the refused paper card at {width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_scanned_stack_and_its_review_are_accessible(live, admin_tabs, width, tmp_path):
    from cards.services import list_cards
    from cards.sheets import sheet_pdf
    from tests import scanstack

    with live.app.app_context():
        cards = list_cards(db.session)[:2]
        pdf = sheet_pdf(cards, base_url=live.url, jobcenter_name="Jobcenter Musterstadt")
        truths = [scanstack.Marked(card.code, 4, None, "cross", writing=True) for card in cards]
    path = tmp_path / "stapel.pdf"
    path.write_bytes(scanstack.as_pdf(scanstack.make_stack(pdf, truths, dpi=200), 200))
    tab = admin_tabs[width]
    tab.open(f"{live.url}/admin/paper/scan")
    tab.page.set_input_files("#file", str(path))
    with tab.page.expect_navigation():
        tab.page.click("main button[type=submit]")
    assert "zur Prüfung" in tab.page.locator(".scan-summary").inner_text()
    tab.check(f"the scan summary at {width}")
    tab.open(f"{live.url}/admin/paper/review")
    assert tab.page.locator(".scan-review__picture img").is_visible()
    tab.check(f"a scanned card to review at {width}")


def test_cards_printed_from_the_html_sheet_are_read_by_the_scanner(live, browser):
    """The HTML sheet prints the same layout as the PDF: Chromium prints, the scanner reads."""
    from cards import scan
    from cards.services import list_cards
    from cards.sheets import sheet_html
    from tests import scanstack

    with live.app.app_context():
        cards = list_cards(db.session)[:4]
        html = sheet_html(cards, base_url=live.url, jobcenter_name="Jobcenter Musterstadt")
        codes = [card.code for card in cards]
    page = browser.new_page()
    page.set_content(html)
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    page.close()
    assert len(codes) >= 2
    marks = list(zip(codes, [1, 2, 4, 5], ["lob", "kritik", None, "anregung"], strict=False))
    truths = [scanstack.Marked(code, rating, kind, "cross") for code, rating, kind in marks]
    stack = scanstack.as_pdf(scanstack.make_stack(pdf, truths, dpi=200), 200)
    read = [card for page in scan.read_pages(scan.open_file(stack)) for card in page.cards]
    assert [(card.code, card.layout, card.rating, card.kind, card.clear) for card in read] == [
        (code, "2", rating, kind, True) for code, rating, kind in marks
    ]


# Keyboard only ----------------------------------------------------------------------------------

FOCUS_VISIBLE = """() => {
  const style = getComputedStyle(document.activeElement);
  const outline = style.outlineStyle !== 'none' && style.outlineWidth !== '0px';
  return outline || style.boxShadow !== 'none';
}"""


def tab_to(page, selector: str, limit: int = 60) -> None:
    """Press Tab until the element has the focus; every stop on the way must show its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.outerHTML.slice(0, 120)")
        assert page.evaluate(FOCUS_VISIBLE), f"the focus is not visible on {focused}"
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"{selector} cannot be reached with the Tab key")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_form_can_be_filled_and_sent_with_the_keyboard_alone(live, browser, width):
    tab = Tab(browser, WIDTHS[width])
    page = tab.page
    try:
        tab.open(f"{live.url}/feedback/")
        tab_to(page, ".skip-link")
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"

        tab_to(page, "input[name=rating]")
        page.keyboard.press("Space")  # the first of the five: "sehr unzufrieden"
        page.keyboard.press("ArrowDown")  # the next: "unzufrieden"
        tab_to(page, "input[name=kind]")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowLeft")  # back to the first: Lob
        tab_to(page, "#text")
        page.keyboard.type(f"Per Tastatur geschrieben ({width}).")
        tab_to(page, "summary")
        page.keyboard.press("Enter")  # open "Ich möchte eine Antwort"
        tab_to(page, "#contact_email")
        page.keyboard.type("erika@example.org")
        tab_to(page, "#consent")
        page.keyboard.press("Space")
        tab_to(page, "button[type=submit]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url == f"{live.url}/danke/"
        assert page.locator("h1").inner_text() == "Vielen Dank für Ihre Rückmeldung"
    finally:
        tab.close()

    stored = stored_feedback(live.app)[-1]
    assert stored.text == f"Per Tastatur geschrieben ({width})."
    assert (stored.rating, stored.kind.value) == (2, "lob")
    assert stored.contact_email == "erika@example.org"
