"""Print sheets: the QR codes on the PDF pages decode to the cards' addresses, the HTML sheet has
every card, and `krm cards sheet` writes either format."""

from __future__ import annotations

import math
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp

from cards import qr
from cards.services import add_cards, add_location, list_cards, retire_card
from cards.sheets import CARD_SIZES, latin1, page_layout, sheet_html, sheet_pdf
from portal.extensions import db
from portal.settings import DEFAULTS

BASE_URL = "http://127.0.0.1:5000"
JOBCENTER = "Jobcenter Musterstadt"


def create_cards(app, count: int = 6) -> list[str]:
    """A location HST with ``count`` (at least 2) cards at two touchpoints; returns their codes."""
    with app.app_context():
        add_location(db.session, "HST", "Hauptstelle Musterstadt")
        first = add_cards(db.session, "HST", "Empfang", count=count // 2)
        second = add_cards(db.session, "HST", "Leistungsbereich Team 3", count=count - count // 2)
        db.session.commit()
        return [card.code for card in first + second]


def active_cards(app):
    return list_cards(db.session, location_code="HST")


def render_pdf(app, size: str = "A6", base_url: str = BASE_URL) -> bytes:
    with app.app_context():
        return sheet_pdf(
            active_cards(app), base_url=base_url, jobcenter_name=JOBCENTER, card_size=size
        )


def render_html(app, size: str = "A6") -> str:
    with app.app_context():
        return sheet_html(
            active_cards(app), base_url=BASE_URL, jobcenter_name=JOBCENTER, card_size=size
        )


def decoded_pages(pdf: bytes) -> list[set[str]]:
    """The texts of all QR codes on each page, scanned from a 300 dpi rendering."""
    document = pdfium.PdfDocument(pdf)
    try:
        return [
            {result.text for result in zxingcpp.read_barcodes(page.render(scale=300 / 72).to_pil())}
            for page in document
        ]
    finally:
        document.close()


def pdf_text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def urls(codes) -> set[str]:
    return {qr.card_url(BASE_URL, code) for code in codes}


def test_the_layout_puts_as_many_cards_as_fit_on_a4():
    a6, a5, a4 = (page_layout(size) for size in ("A6", "A5", "A4"))
    assert (a6.orientation, a6.columns, a6.rows) == ("portrait", 2, 2)
    assert (a5.orientation, a5.columns, a5.rows) == ("landscape", 2, 1)
    assert (a4.orientation, a4.per_page) == ("portrait", 1)
    assert a6.vertical_cuts == [105] and a6.horizontal_cuts == [148.5]
    assert page_layout(" a5 ") == a5
    with pytest.raises(ValueError, match="A6, A5, A4"):
        page_layout("A3")


def test_every_qr_code_on_the_pdf_decodes_to_its_card(app):
    codes = create_cards(app, 6)
    pdf = render_pdf(app)
    pages = decoded_pages(pdf)
    assert len(pages) == math.ceil(6 / 4) == 2
    assert [len(found) for found in pages] == [4, 2]
    assert set().union(*pages) == urls(codes)


def test_the_pdf_text_has_each_address_code_and_the_german_texts(app):
    codes = create_cards(app, 5)
    text = pdf_text(render_pdf(app))
    for code in codes:
        assert qr.card_url(BASE_URL, code) in text
        assert f"Karte {code}" in text
    for words in (
        JOBCENTER,
        "Ihre Meinung zählt",
        "Hauptstelle Musterstadt",
        "Leistungsbereich Team 3",
        "Scannen Sie den Code oder öffnen Sie:",
        "sehr unzufrieden",
        "teils, teils",
        "Anregung",
        "Ihre Nachricht:",
        "keine Namen, Adressen oder Kundennummern",
    ):
        assert words in text.replace("\r\n", " ").replace("\n", " ")


def test_https_is_left_off_the_printed_address_but_not_the_qr_code(app):
    codes = create_cards(app, 2)
    base = "https://meinung.jobcenter-musterstadt.de"
    pdf = render_pdf(app, base_url=base)
    assert set().union(*decoded_pages(pdf)) == {qr.card_url(base, code) for code in codes}
    text = pdf_text(pdf)
    assert f"meinung.jobcenter-musterstadt.de/k/{codes[0]}/" in text
    assert "https://" not in text


@pytest.mark.parametrize(("size", "per_page"), [("A5", 2), ("A4", 1)])
def test_larger_cards_fit_fewer_to_a_page_and_still_scan(app, size, per_page):
    codes = create_cards(app, 3)
    pages = decoded_pages(render_pdf(app, size))
    assert len(pages) == math.ceil(3 / per_page)
    assert all(len(found) <= per_page for found in pages)
    assert set().union(*pages) == urls(codes)


def test_the_same_cards_give_the_same_pdf_bytes(app):
    create_cards(app, 4)
    assert render_pdf(app) == render_pdf(app)


def test_no_cards_or_an_unknown_size_is_refused(app):
    create_cards(app, 2)
    with app.app_context():
        with pytest.raises(ValueError, match="no cards"):
            sheet_pdf([], base_url=BASE_URL, jobcenter_name=JOBCENTER)
        with pytest.raises(ValueError, match="no cards"):
            sheet_html([], base_url=BASE_URL, jobcenter_name=JOBCENTER)
        with pytest.raises(ValueError, match="Unknown card size"):
            sheet_pdf(
                active_cards(app), base_url=BASE_URL, jobcenter_name=JOBCENTER, card_size="B5"
            )


def test_typographic_characters_are_mapped_for_the_pdf_font():
    assert latin1("Team 3 – „Empfang“ … 5 €") == 'Team 3 - "Empfang" ... 5 EUR'
    assert latin1("Straße, Größe") == "Straße, Größe"
    assert latin1("Zimmer 日本") == "Zimmer ??"


def test_the_html_sheet_is_standalone_and_has_every_card(app):
    codes = create_cards(app, 6)
    html = render_html(app)
    assert html.lstrip().startswith("<!doctype html>")
    assert '<html lang="de">' in html
    assert "<style>" in html and "<link" not in html
    assert "@page { size: A4 portrait; margin: 0; }" in html
    assert len(re.findall(r'class="sheet"', html)) == 2
    assert len(re.findall(r'class="card"', html)) == 6
    assert html.count("<svg") == 6 + 6 * 5  # a QR code and five faces per card
    for code in codes:
        assert qr.card_url(BASE_URL, code) in html
        assert f"Karte {code}" in html
    for words in (
        "Ihre Meinung zählt",
        "Scannen Sie den Code oder öffnen Sie:",
        "sehr unzufrieden",
        "teils, teils",
        "sehr zufrieden",
        "Lob",
        "Anregung",
        "Kritik",
        "Ihre Nachricht:",
        "Anonym: Bitte schreiben Sie keine Namen, Adressen oder Kundennummern auf die Karte.",
    ):
        assert words in html


def test_the_html_sheet_follows_the_card_size(app):
    create_cards(app, 3)
    html = render_html(app, "A5")
    assert "@page { size: A4 landscape; margin: 0; }" in html
    assert len(re.findall(r'class="sheet"', html)) == 2
    assert f"--card-width: {CARD_SIZES['A5'][0]}mm" in html


def test_labels_are_escaped_in_the_html(app):
    with app.app_context():
        add_location(db.session, "HST", "Haupt<stelle>")
        add_cards(db.session, "HST", '<script>alert("x")</script>')
        db.session.commit()
    html = render_html(app)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html and "Haupt&lt;stelle&gt;" in html


def test_cli_writes_a_pdf_whose_codes_scan(app, runner, tmp_path):
    codes = create_cards(app, 6)
    out = tmp_path / "sheet.pdf"
    result = runner.invoke(args=["cards", "sheet", "--location", "HST", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{out}: 6 cards on 2 pages"
    assert set().union(*decoded_pages(out.read_bytes())) == urls(codes)


def test_cli_writes_html_and_takes_the_size(app, runner, tmp_path):
    codes = create_cards(app, 3)
    out = tmp_path / "sheet.html"
    args = ["cards", "sheet", "--location", "hst", "--size", "a5", "--out", str(out)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "3 cards on 2 pages" in result.output
    html = out.read_text(encoding="utf-8")
    assert "A4 landscape" in html
    assert all(qr.card_url(BASE_URL, code) in html for code in codes)


def test_cli_default_size_comes_from_the_settings(make_app, tmp_path):
    app = make_app(CARD_SIZE="A4")
    create_cards(app, 2)
    out = tmp_path / "sheet.pdf"
    result = app.test_cli_runner().invoke(args=["cards", "sheet", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 cards on 2 pages" in result.output


def test_cli_leaves_retired_cards_out(app, runner, tmp_path):
    codes = create_cards(app, 3)
    with app.app_context():
        retire_card(db.session, codes[0], now=datetime(2026, 1, 1, tzinfo=UTC))
        db.session.commit()
    out = tmp_path / "sheet.pdf"
    result = runner.invoke(args=["cards", "sheet", "--location", "HST", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert set().union(*decoded_pages(out.read_bytes())) == urls(codes[1:])


def test_cli_prints_only_the_chosen_card(app, runner, tmp_path):
    codes = create_cards(app, 4)
    out = tmp_path / "one.pdf"
    args = ["cards", "sheet", "--card", codes[2].lower(), "--out", str(out)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "1 card on 1 page" in result.output
    assert decoded_pages(out.read_bytes()) == [urls([codes[2]])]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--location", "XYZ", "--out", "{dir}/x.pdf"], "There is no location XYZ"),
        (["--card", "ZZZZZ", "--out", "{dir}/x.pdf"], "No such (active) card: ZZZZZ"),
        (["--location", "HST", "--out", "{dir}/x.txt"], "must end in .pdf or .html"),
    ],
)
def test_cli_refuses_what_it_cannot_print(app, runner, tmp_path, args, message):
    create_cards(app, 2)
    args = [arg.format(dir=tmp_path) for arg in args]
    result = runner.invoke(args=["cards", "sheet", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert not list(tmp_path.glob("x.*"))


def test_cli_refuses_a_location_without_active_cards(app, runner, tmp_path):
    with app.app_context():
        add_location(db.session, "AST", "Außenstelle")
        db.session.commit()
    result = runner.invoke(
        args=["cards", "sheet", "--location", "AST", "--out", f"{tmp_path}/x.pdf"]
    )
    assert result.exit_code != 0
    assert "no active cards" in result.output


# A second language ----------------------------------------------------------------------------

FONT_DIR = Path(DEFAULTS["SHEET_FONT_DIR"])
needs_font = pytest.mark.skipif(
    not (FONT_DIR / "DejaVuSans.ttf").is_file() and not os.environ.get("CI"),
    reason="DejaVu Sans is not installed (apt-get install fonts-dejavu-core); CI installs it",
)
SECOND = {
    "en": ("Your opinion counts", "How satisfied are you with the Jobcenter?", "Suggestion"),
    # Arabic without ligatures (لا) and shadda, which text extraction takes apart
    "ar": ("رأيكم", "ما مدى رضاكم عن مركز التوظيف؟", "اقتراح"),
    "uk": ("Ваша думка важлива", "Наскільки Ви задоволені Джобцентром?", "Пропозиція"),
    "ru": ("Ваше мнение важно", "Насколько Вы довольны Джобцентром?", "Предложение"),
}


def render_bilingual_pdf(app, language: str, size: str = "A6") -> bytes:
    with app.app_context():
        return sheet_pdf(
            active_cards(app),
            base_url=BASE_URL,
            jobcenter_name=JOBCENTER,
            card_size=size,
            language=language,
        )


def flat(text: str) -> str:
    return " ".join(text.split())


@needs_font
@pytest.mark.parametrize("language", list(SECOND))
def test_a_bilingual_pdf_has_german_and_the_second_language_and_still_scans(app, language):
    codes = create_cards(app, 5)
    pdf = render_bilingual_pdf(app, language)

    pages = decoded_pages(pdf)
    assert [len(found) for found in pages] == [4, 1]
    assert set().union(*pages) == urls(codes)
    text = flat(pdf_text(pdf))
    for words in ("Ihre Meinung zählt", "Wie zufrieden sind Sie mit dem Jobcenter?", "Anregung"):
        assert words in text
    for words in SECOND[language]:
        assert words in text, words
    assert render_bilingual_pdf(app, language) == pdf, "the same cards, the same bytes"


@needs_font
@pytest.mark.parametrize("size", ["A5", "A4"])
def test_larger_bilingual_cards_still_scan(app, size):
    codes = create_cards(app, 2)
    assert set().union(*decoded_pages(render_bilingual_pdf(app, "ar", size))) == urls(codes)


@needs_font
def test_arabic_is_shaped_and_runs_right_to_left_in_the_pdf(app):
    """With HarfBuzz, the first letter of an Arabic word stands right of its last one."""
    create_cards(app, 2)
    document = pdfium.PdfDocument(render_bilingual_pdf(app, "ar"))
    try:
        textpage = document[0].get_textpage()
        text = textpage.get_text_range()
        word = "التوظيف"
        start = text.index(word)
        first = textpage.get_charbox(start)
        last = textpage.get_charbox(start + len(word) - 1)
    finally:
        document.close()
    assert first[0] > last[2], "the word must read right to left"


def test_a_bilingual_html_sheet_marks_the_language_and_direction_of_each_translation(app):
    create_cards(app, 2)
    with app.app_context():
        html = sheet_html(
            active_cards(app), base_url=BASE_URL, jobcenter_name=JOBCENTER, language="ar"
        )
    assert '<html lang="de">' in html
    assert '<span class="second" lang="ar" dir="rtl">ما مدى رضاكم عن مركز التوظيف؟</span>' in html
    # title, scan, question, marking hint, five ratings, three kinds, message, privacy
    assert html.count('lang="ar" dir="rtl"') == 2 * (1 + 1 + 1 + 1 + 5 + 3 + 1 + 1)
    assert "Wie zufrieden sind Sie mit dem Jobcenter?" in html
    assert "Bitte ankreuzen: ein Kästchen je Zeile." in html
    assert len(re.findall(r"<div class=\"lines\">(?:<span></span>){4}</div>", html)) == 2


def test_a_german_sheet_has_no_second_language(app):
    create_cards(app, 2)
    assert 'class="second"' not in render_html(app)
    assert "Your opinion counts" not in pdf_text(render_pdf(app))


@needs_font
def test_cli_writes_a_bilingual_pdf(app, runner, tmp_path):
    codes = create_cards(app, 2)
    out = tmp_path / "sheet.pdf"
    args = ["cards", "sheet", "--location", "HST", "--language", "uk", "--out", str(out)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert set().union(*decoded_pages(out.read_bytes())) == urls(codes)
    assert "Наскільки Ви задоволені Джобцентром?" in flat(pdf_text(out.read_bytes()))


def test_cli_refuses_an_unknown_language(app, runner, tmp_path):
    create_cards(app, 2)
    args = ["cards", "sheet", "--language", "xx", "--out", f"{tmp_path}/x.pdf"]
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert "'xx' is not one of" in result.output
    assert not list(tmp_path.glob("x.*"))


def test_without_the_font_a_bilingual_pdf_is_refused_with_a_way_out(make_app, tmp_path):
    app = make_app(SHEET_FONT_DIR=str(tmp_path / "no-fonts"))
    create_cards(app, 2)
    out = tmp_path / "x.pdf"
    args = ["cards", "sheet", "--language", "ar", "--out", str(out)]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code != 0
    assert "DejaVuSans.ttf" in result.output and "fonts-dejavu-core" in result.output
    assert not out.exists()
    german = ["cards", "sheet", "--out", str(out)]
    assert app.test_cli_runner().invoke(args=german).exit_code == 0, "German needs no font"
