"""Print sheets of Meinungskarten: A4 pages of cards to cut apart, as HTML (print CSS) and as PDF.

Both formats draw the same card: it is designed at A6 (105 × 148 mm) and larger cards are that
design enlarged, so an A5 or A4 card has bigger type and more room to write, and the two
formats cannot drift apart in what they show. Every card carries its QR code and its address as
text, a smiley scale to tick and lines to write on, so it works on paper as well as on a phone.

A card can speak a second language: each German text is followed by its translation (a
bilingual card). The PDF writes German in Helvetica, a core font, and the second language in
DejaVu Sans (Latin, Cyrillic, Arabic), shaped by HarfBuzz so that Arabic joins and runs right
to left.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from cards import qr
from portal.i18n import DEFAULT_LANGUAGE, LANGUAGES
from portal.vocab import RATINGS, Kind

if TYPE_CHECKING:
    from fpdf import FPDF

    from cards.models import Card

CARD_SIZES: dict[str, tuple[float, float]] = {"A6": (105, 148), "A5": (148, 210), "A4": (210, 297)}
A4 = CARD_SIZES["A4"]
DESIGN = CARD_SIZES["A6"]  # the size the card is drawn at; larger cards are scaled copies

KINDS = tuple(label for _value, label in Kind.choices())
WRITING_LINES = 6
WRITING_LINES_BILINGUAL = 4  # the second language takes the room of two lines

# Geometry of the A6 design in mm; static/css/sheet.css uses the same numbers.
PADDING = 6.0
# The QR code with its quiet zone; its dark modules measure about 30 mm. The white
# quiet zone reaches QR_INSET into the padding, so the modules line up with the text.
QR_BOX = 38.0
QR_INSET = 3.0
COLUMN_X = PADDING - QR_INSET + QR_BOX + 1  # the text beside the QR code
COLUMN_WIDTH = DESIGN[0] - PADDING - COLUMN_X
# The tick boxes follow layout version 2 of cards/layouts.py (what the scanner reads): 5 mm
# boxes 3 mm from their smiley or label, so an overshooting tick stays clear of them, the kinds
# in fixed thirds of the width, and the marking hint under the question.
LAYOUT_VERSION = 2
BOX = 5.0  # a tick box
MARK_GAP = 3.0  # between a tick box and its smiley or label
FACE = 6.0  # a smiley
GAP = 2.5  # between the parts of a card

TEXT = "#1b1b1b"
PRIMARY = "#0b3a75"
MUTED = "#4a4f55"
RULE = "#6b7280"
CUT = "#9ca3af"

# The font of a card's second language (Debian: fonts-dejavu-core), and its bold cut.
SECOND_FONT = "DejaVu"
SECOND_FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}

# A fixed creation date, so that the same cards always give the same bytes (testable, diffable).
CREATION_DATE = datetime(2000, 1, 1, tzinfo=UTC)
QUIET_ZONE = 4  # modules of white around a QR code, as the standard asks
PT = 25.4 / 72  # one point in mm

# Helvetica (a PDF core font) only knows latin-1; typographic characters get a plain stand-in.
LATIN1 = str.maketrans(
    {
        "–": "-",
        "—": "-",
        "‑": "-",
        "„": '"',
        "“": '"',
        "”": '"',
        "‚": "'",
        "‘": "'",
        "’": "'",
        "…": "...",
        "€": "EUR",
        "\u202f": " ",
    }
)


@dataclass(frozen=True)
class Layout:
    """How cards of one size sit on A4 pages: a grid of equal cells, centred on the page."""

    card_width: float
    card_height: float
    orientation: str  # "portrait" or "landscape"
    page_width: float
    page_height: float

    @property
    def columns(self) -> int:
        return int(self.page_width // self.card_width)

    @property
    def rows(self) -> int:
        return int(self.page_height // self.card_height)

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def margin_x(self) -> float:
        return (self.page_width - self.columns * self.card_width) / 2

    @property
    def margin_y(self) -> float:
        return (self.page_height - self.rows * self.card_height) / 2

    @property
    def scale(self) -> float:
        """How much the A6 design is enlarged to fill a card of this size."""
        return min(self.card_width / DESIGN[0], self.card_height / DESIGN[1])

    @property
    def inset_x(self) -> float:
        return (self.card_width - DESIGN[0] * self.scale) / 2

    @property
    def inset_y(self) -> float:
        return (self.card_height - DESIGN[1] * self.scale) / 2

    def origin(self, slot: int) -> tuple[float, float]:
        """The top left corner of the card in position ``slot`` (row by row) on a page."""
        row, column = divmod(slot, self.columns)
        return (
            self.margin_x + column * self.card_width,
            self.margin_y + row * self.card_height,
        )

    @property
    def vertical_cuts(self) -> list[float]:
        """Where to cut between columns, in mm from the left; the paper's edges need no cut."""
        return [self.margin_x + column * self.card_width for column in range(1, self.columns)]

    @property
    def horizontal_cuts(self) -> list[float]:
        return [self.margin_y + row * self.card_height for row in range(1, self.rows)]

    def pages(self, items: Sequence[Any]) -> list[Sequence[Any]]:
        return [
            items[start : start + self.per_page] for start in range(0, len(items), self.per_page)
        ]


def page_layout(card_size: str) -> Layout:
    """A4 portrait or landscape, whichever holds more cards of this size (portrait on a tie)."""
    size = card_size.strip().upper()
    if size not in CARD_SIZES:
        raise ValueError(f"Unknown card size {card_size!r}: use one of {', '.join(CARD_SIZES)}.")
    width, height = CARD_SIZES[size]
    candidates = [
        Layout(width, height, "portrait", *A4),
        Layout(width, height, "landscape", *reversed(A4)),
    ]
    return max(candidates, key=lambda layout: layout.per_page)


class SheetError(ValueError):
    """A sheet that cannot be made here, e.g. because a font is missing; the message says why."""


@dataclass(frozen=True)
class CardTexts:
    """The words on a card, in one language."""

    lang: str  # the lang attribute
    direction: str  # "ltr" or "rtl"
    title: str
    scan: str
    question: str
    hint: str
    ratings: tuple[str, ...]
    kinds: tuple[str, ...]
    message: str
    privacy: str

    @property
    def align(self) -> str:
        """fpdf2's alignment of a paragraph in this language."""
        return "R" if self.direction == "rtl" else "L"


def card_texts(code: str) -> CardTexts:
    """The card's words in the language ``code``; needs an app context."""
    language = LANGUAGES[code]
    with force_locale(language.locale):
        return CardTexts(
            lang=language.lang_attribute,
            direction=language.direction,
            title=_("Ihre Meinung zählt"),
            scan=_("Scannen Sie den Code oder öffnen Sie:"),
            question=_("Wie zufrieden sind Sie mit dem Jobcenter?"),
            hint=_("Bitte ankreuzen: ein Kästchen je Zeile."),
            ratings=tuple(str(words) for _value, words in RATINGS),
            kinds=tuple(str(label) for label in KINDS),
            message=_("Ihre Nachricht:"),
            privacy=_(
                "Anonym: Bitte schreiben Sie keine Namen, Adressen oder Kundennummern auf die "
                "Karte."
            ),
        )


def second_language(code: str | None) -> CardTexts | None:
    """The texts of a card's second language; None for none (or German, which is always there).

    Raises ValueError for a language the portal does not have."""
    if not code or code == DEFAULT_LANGUAGE:
        return None
    if code not in LANGUAGES:
        known = ", ".join(other for other in LANGUAGES if other != DEFAULT_LANGUAGE)
        raise ValueError(f"Unknown language {code!r}: use one of {known}.")
    return card_texts(code)


@dataclass(frozen=True)
class PrintedCard:
    """What is printed on one card, independent of the output format."""

    code: str
    url: str
    location: str
    label: str
    address_size: float  # in pt
    address_lines: tuple[str, ...]  # short_url(url), broken before "/k/" if it is very long


def short_url(url: str) -> str:
    """The address as printed: without "https://", which browsers assume when it is typed.

    "http://" stays: browsers now try https first for a typed address, and a plain-http
    installation would then not answer.
    """
    return url.removeprefix("https://")


def printed_cards(cards: Sequence[Card], base_url: str) -> list[PrintedCard]:
    """What to print on each card; an empty list is an error, not an empty sheet."""
    if not cards:
        raise ValueError("There are no cards to print.")
    printed = []
    for card in cards:
        url = qr.card_url(base_url, card.code)
        size, lines = fit_address(short_url(url))
        printed.append(PrintedCard(card.code, url, card.location.name, card.label, size, lines))
    return printed


def fit_address(address: str) -> tuple[float, tuple[str, ...]]:
    """Font size and lines of the printed address, beside the QR code.

    As large as fits on one line, from 9.5 down to 7 pt; longer addresses are broken before
    "/k/". A break anywhere else is easily mistyped: after "jobcenter-" it reads as hyphenation.
    Measured with Helvetica's metrics, which Arial and Liberation Sans share, so the HTML sheet
    uses the result too; 1 mm is kept to spare for a browser's font.
    """
    from fpdf.fonts import CORE_FONTS_CHARWIDTHS  # imported late, see sheet_pdf

    widths = CORE_FONTS_CHARWIDTHS["helveticaB"]
    ems = sum(widths[char] for char in latin1(address)) / 1000
    size = 9.5
    while ems * size * PT > COLUMN_WIDTH - 1:
        if size <= 7:
            host, slash, path = address.partition("/k/")
            return size, (host, slash + path)
        size -= 0.5
    return size, (address,)


# HTML ------------------------------------------------------------------------------------------


def sheet_html(
    cards: Sequence[Card],
    *,
    base_url: str,
    jobcenter_name: str,
    card_size: str = "A6",
    language: str | None = None,
) -> str:
    """A standalone HTML document, one ``.sheet`` per A4 page; needs an app context.

    The stylesheet is embedded rather than linked, so the file prints the same when it is
    opened from disk or mailed to the print shop. ``language``: a second language on each card.
    """
    layout = page_layout(card_size)
    second = second_language(language)
    css = Path(current_app.static_folder, "css", "sheet.css").read_text("utf-8")
    return render_template(
        "cards/sheet.html",
        layout=layout,
        pages=layout.pages(printed_cards(cards, base_url)),
        jobcenter_name=jobcenter_name,
        # Both are trusted markup: our own stylesheet, and segno's SVG (it escapes the title).
        css=Markup(css),  # noqa: S704
        qr_svg=lambda url: Markup(qr.svg(url)),  # noqa: S704
        ratings=[value for value, _words in RATINGS],
        texts=card_texts(DEFAULT_LANGUAGE),
        second=second,
        writing_lines=WRITING_LINES_BILINGUAL if second else WRITING_LINES,
    )


# PDF -------------------------------------------------------------------------------------------


def sheet_pdf(
    cards: Sequence[Card],
    *,
    base_url: str,
    jobcenter_name: str,
    card_size: str = "A6",
    language: str | None = None,
    font_dir: str | Path | None = None,
) -> bytes:
    """The same sheets as a PDF; the same cards always give the same bytes. Needs an app context.

    Each card is drawn in its own coordinate system (mm from the card's top left corner, at A6)
    and placed and scaled onto the page with a transformation matrix. ``language``: a second
    language on each card, written in the DejaVu Sans of ``font_dir`` (default: the
    ``SHEET_FONT_DIR`` setting).
    """
    # fpdf2 takes about a third of a second to import, and every app start would pay for it
    # (cards.cli is loaded with the app); only printing needs it, so it is imported here.
    from fpdf import FPDF
    from fpdf.drawing_primitives import Transform

    layout = page_layout(card_size)
    printed = printed_cards(cards, base_url)
    texts, second = card_texts(DEFAULT_LANGUAGE), second_language(language)
    pdf = FPDF(orientation=layout.orientation, unit="mm", format="A4")
    if second:
        _add_second_font(pdf, Path(font_dir or current_app.config["SHEET_FONT_DIR"]))
    pdf.set_creation_date(CREATION_DATE)
    title = _("Meinungskarten")
    pdf.set_title(f"{title} – {jobcenter_name}")
    pdf.set_lang("de")
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.c_margin = 0  # text starts exactly where it is placed, as in the HTML
    for page in layout.pages(printed):
        pdf.add_page()
        _draw_cut_lines(pdf, layout)
        for slot, card in enumerate(page):
            x, y = layout.origin(slot)
            place = Transform.scaling(layout.scale).translate(
                x + layout.inset_x, y + layout.inset_y
            )
            with pdf.transform(place):
                _draw_card(pdf, card, jobcenter_name, texts, second)
    return bytes(pdf.output())


def _add_second_font(pdf: FPDF, font_dir: Path) -> None:
    """DejaVu Sans for the second language, with HarfBuzz text shaping (Arabic joins, bidi)."""
    missing = [name for name in SECOND_FONT_FILES.values() if not (font_dir / name).is_file()]
    if missing:
        raise SheetError(
            f"The font for the second language is missing: {', '.join(missing)} in {font_dir}. "
            "Install it (Debian: apt-get install fonts-dejavu-core) or set KRM_SHEET_FONT_DIR "
            "to the folder that holds DejaVuSans.ttf."
        )
    for style, name in SECOND_FONT_FILES.items():
        pdf.add_font(SECOND_FONT, style, font_dir / name)
    pdf.set_text_shaping(use_shaping_engine=True)


def latin1(text: str) -> str:
    """Text that Helvetica can show: typographic characters mapped, anything else as "?"."""
    return text.translate(LATIN1).encode("latin-1", "replace").decode("latin-1")


def _draw_cut_lines(pdf: FPDF, layout: Layout) -> None:
    with pdf.local_context():
        pdf.set_draw_color(CUT)
        pdf.set_line_width(0.2)
        pdf.set_dash_pattern(dash=2, gap=1.5)
        for x in layout.vertical_cuts:
            pdf.line(x, 0, x, layout.page_height)
        for y in layout.horizontal_cuts:
            pdf.line(0, y, layout.page_width, y)


def _draw_card(
    pdf: FPDF,
    card: PrintedCard,
    jobcenter_name: str,
    texts: CardTexts,
    second: CardTexts | None,
) -> None:
    """One card, top to bottom, at A6 in mm from its top left corner; each German text is
    followed by its translation where the card has a second language."""
    x, width = PADDING, DESIGN[0] - 2 * PADDING
    y = _text(pdf, x, PADDING, width, jobcenter_name, 8, "B", PRIMARY)
    y = _text(pdf, x, y + 0.5, width, texts.title, 16, "B", PRIMARY)
    if second:
        y = _second(pdf, second, x, y, width, second.title, 10, "B", PRIMARY)

    top = y + 1
    _draw_qr(pdf, card.url, x - QR_INSET, top, QR_BOX)
    beside = _draw_where(pdf, card, texts, second, top + QR_INSET, top + QR_BOX - QR_INSET)

    y = _text(pdf, x, max(top + QR_BOX, beside) + 1, width, texts.question, 8, "B")
    if second:
        y = _second(pdf, second, x, y, width, second.question, 7.5, "B")
    y = _text(pdf, x, y, width, texts.hint, 7, color=MUTED)
    if second:
        y = _second(pdf, second, x, y, width, second.hint, 6.5, color=MUTED)
    y = _draw_scale(pdf, x, y + 1, width, texts, second)
    y = _draw_kinds(pdf, x, y + GAP, width, texts, second)
    y = _text(pdf, x, y + GAP, width, texts.message, 8, "B")
    if second:
        y = _second(pdf, second, x, y, width, second.message, 7.5, "B")

    privacy_height = _text_height(pdf, width, texts.privacy, 7)
    if second:
        privacy_height += _text_height(pdf, width, second.privacy, 7, SECOND_FONT)
    privacy_top = DESIGN[1] - PADDING - privacy_height
    lines = WRITING_LINES_BILINGUAL if second else WRITING_LINES
    _draw_lines(pdf, x, y, width, privacy_top - GAP, lines)
    y = _text(pdf, x, privacy_top, width, texts.privacy, 7, color=MUTED)
    if second:
        _second(pdf, second, x, y, width, second.privacy, 7, color=MUTED)


def _draw_where(
    pdf: FPDF,
    card: PrintedCard,
    texts: CardTexts,
    second: CardTexts | None,
    top: float,
    bottom: float,
) -> float:
    """Beside the QR code: where the card lies and the address to type; the card's code at the
    bottom, level with the end of the QR code (or below, if long names need the room).
    Returns the bottom."""
    x, width = COLUMN_X, COLUMN_WIDTH
    y = _text(pdf, x, top, width, card.location, 9, "B")
    y = _text(pdf, x, y, width, card.label, 9)
    y = _text(pdf, x, y + GAP, width, texts.scan, 7.5, color=MUTED)
    if second:
        y = _second(pdf, second, x, y, width, second.scan, 7, color=MUTED)
    y = _text(pdf, x, y + 0.5, width, "\n".join(card.address_lines), card.address_size, "B")
    code_top = max(bottom - _line_height(9), y + 1)
    return _text(pdf, x, code_top, width, _("Karte %(code)s", code=card.code), 9)


def _draw_qr(pdf: FPDF, url: str, x: float, y: float, size: float) -> None:
    """The QR code as filled rectangles, one per horizontal run of dark modules.

    Vector modules stay sharp at any printer resolution; merging runs keeps the file small.
    ``size`` includes the quiet zone, which is left white.
    """
    matrix = qr.matrix(url)
    module = size / (len(matrix) + 2 * QUIET_ZONE)
    left, top = x + QUIET_ZONE * module, y + QUIET_ZONE * module
    with pdf.local_context():
        pdf.set_fill_color(0)
        for row, modules in enumerate(matrix):
            for start, length in _dark_runs(modules):
                pdf.rect(left + start * module, top + row * module, length * module, module, "F")


def _dark_runs(modules: Sequence[bool]) -> Iterator[tuple[int, int]]:
    """``(start, length)`` of each run of dark modules in a row."""
    start = 0
    for dark, run in groupby(modules):
        length = len(list(run))
        if dark:
            yield start, length
        start += length


def _draw_scale(
    pdf: FPDF, x: float, y: float, width: float, texts: CardTexts, second: CardTexts | None
) -> float:
    """Five columns: a tick box and a smiley side by side, the words below. Returns the bottom."""
    column = width / len(RATINGS)
    bottom = y
    for index, (value, _words) in enumerate(RATINGS):
        left = x + index * column
        marks = left + (column - (BOX + MARK_GAP + FACE)) / 2
        _tick_box(pdf, marks, y + (FACE - BOX) / 2)
        _draw_face(pdf, value, marks + BOX + MARK_GAP, y, FACE)
        words = texts.ratings[index]
        below = _text(pdf, left + 1, y + FACE + 1, column - 2, words, 7, align="C")
        if second:
            below = _second(
                pdf, second, left + 1, below, column - 2, second.ratings[index], 6.5, align="C"
            )
        bottom = max(bottom, below)
    return bottom


# The mouths of the `face` macro (templates/public/_fields.html): start, control and end point of
# a quadratic curve in its 24-unit box.
MOUTHS = {
    "1": ((7.5, 17.5), (12, 11), (16.5, 17.5)),
    "2": ((8, 16), (12, 14), (16, 16)),
    "3": ((8, 15.5), (12, 15.5), (16, 15.5)),
    "4": ((8, 14.5), (12, 17), (16, 14.5)),
    "5": ((7, 13.5), (12, 20.5), (17, 13.5)),
}


def _draw_face(pdf: FPDF, value: str, x: float, y: float, size: float) -> None:
    """The smiley of the online form, drawn with the same geometry as its SVG."""
    unit = size / 24
    with pdf.local_context(stroke_cap_style="round"):
        pdf.set_draw_color(TEXT)
        pdf.set_fill_color(TEXT)
        pdf.set_line_width(1.6 * unit)
        pdf.circle(x + 12 * unit, y + 12 * unit, 10.2 * unit)
        for eye_x in (8.6, 15.4):
            pdf.circle(x + eye_x * unit, y + 9.5 * unit, 1.3 * unit, "F")
        pdf.bezier([(x + px * unit, y + py * unit) for px, py in MOUTHS[value]])


def _draw_kinds(
    pdf: FPDF, x: float, y: float, width: float, texts: CardTexts, second: CardTexts | None
) -> float:
    """Tick boxes for Lob, Anregung and Kritik in one row, each in a third of the width (the
    same place in every language), with its translation below. Returns the bottom."""
    pdf.set_text_color(TEXT)
    bottom = y + BOX
    for index, label in enumerate(texts.kinds):
        left = x + index * width / len(texts.kinds)
        _tick_box(pdf, left, y)
        pdf.set_font("Helvetica", "", 9)
        pdf.set_xy(left + BOX + MARK_GAP, y)
        pdf.cell(h=BOX, text=latin1(label))
        if second:
            pdf.set_font(SECOND_FONT, "", 7)
            pdf.set_xy(left + BOX + MARK_GAP, y + BOX)
            pdf.cell(h=_line_height(7), text=second.kinds[index])
            bottom = y + BOX + _line_height(7)
    return bottom


def _tick_box(pdf: FPDF, x: float, y: float) -> None:
    with pdf.local_context():
        pdf.set_draw_color(TEXT)
        pdf.set_line_width(0.3)
        pdf.rect(x, y, BOX, BOX)


def _draw_lines(pdf: FPDF, x: float, top: float, width: float, bottom: float, lines: int) -> None:
    """Ruled lines to write on, spread evenly over the room left on the card."""
    pitch = (bottom - top) / lines
    with pdf.local_context():
        pdf.set_draw_color(RULE)
        pdf.set_line_width(0.2)
        for line in range(1, lines + 1):
            pdf.line(x, top + line * pitch, x + width, top + line * pitch)


def _text(
    pdf: FPDF,
    x: float,
    y: float,
    width: float,
    text: str,
    size: float,
    style: str = "",
    color: str = TEXT,
    align: str = "L",
    font: str = "Helvetica",
) -> float:
    """Write ``text`` at (x, y), wrapped to ``width``; returns the y below it."""
    pdf.set_font(font, style, size)
    pdf.set_text_color(color)
    pdf.set_xy(x, y)
    shown = latin1(text) if font == "Helvetica" else text
    pdf.multi_cell(width, _line_height(size), shown, align=align, new_x="LEFT", new_y="NEXT")
    return pdf.get_y()


def _second(
    pdf: FPDF,
    language: CardTexts,
    x: float,
    y: float,
    width: float,
    text: str,
    size: float,
    style: str = "",
    color: str = TEXT,
    align: str | None = None,
) -> float:
    """A text of the second language, in its font and (unless centred) its direction."""
    align = align or language.align
    return _text(pdf, x, y, width, text, size, style, color, align, SECOND_FONT)


def _text_height(pdf: FPDF, width: float, text: str, size: float, font: str = "Helvetica") -> float:
    pdf.set_font(font, "", size)
    shown = latin1(text) if font == "Helvetica" else text
    lines = pdf.multi_cell(width, text=shown, dry_run=True, output="LINES")
    return len(lines) * _line_height(size)


def _line_height(size: float) -> float:
    return size * PT * 1.25
