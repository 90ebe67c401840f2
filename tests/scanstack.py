"""Stacks of scanned paper cards, made from real print sheets, for the scanner's tests and bench.

A sheet PDF (``krm cards sheet``) is rendered with pypdfium2, every card is cut out and marked as
people mark them (crosses, check marks, filled boxes, grey pencil, lines past the border, a
circled smiley, scribbled writing), then turned a little (±3°, some upside down), scaled
(97–103 %), laid on scanner pages, blurred, noised and JPEG-compressed, and the pages are put into
a PDF (JPEG inside, as a scanner writes it) or a multi-page TIFF. ``Marked`` records what was
drawn, so a test can compare it with what the scanner read.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFilter

from cards.layouts import CURRENT, CardLayout
from cards.sheets import page_layout

STYLES = ("cross", "check", "fill", "pencil", "overshoot")
INK, PENCIL = 45, 150


@dataclass
class Marked:
    """What was drawn on one card."""

    code: str
    rating: int | None
    kind: str | None
    style: str
    writing: bool = False
    circled: bool = False
    page: int = 0  # 1-based page of the stack
    upside_down: bool = False

    @property
    def clear(self) -> bool:
        """A card the scanner should store at once: a clear tick, nothing written or circled."""
        return self.rating is not None and not self.writing and not self.circled


def render_cards(sheet_pdf: bytes, dpi: int, first: int = 0, count: int = 10_000):
    """The A6 cards ``first`` to ``first + count`` of a sheet, cut out of its pages rendered at
    ``dpi`` (grey)."""
    grid = page_layout("A6")
    document = pdfium.PdfDocument(sheet_pdf)
    cut: list[Image.Image | None] = [None] * (first - first % grid.per_page)
    try:
        for number in range(first // grid.per_page, len(document)):
            if len(cut) >= first + count:
                break
            page = document[number]
            image = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            for slot in range(grid.per_page):
                x, y = grid.origin(slot)
                box = [
                    round(v * dpi / 25.4) for v in (x, y, x + grid.card_width, y + grid.card_height)
                ]
                cut.append(image.crop(box))
    finally:
        document.close()
    return cut[first : first + count]


def _mm(dpi: int):
    return lambda value: value * dpi / 25.4


def draw_tick(draw: ImageDraw.ImageDraw, box, style: str, dpi: int, rng: random.Random) -> None:
    """A mark in the square ``box`` (left, top, side in px)."""
    px = _mm(dpi)
    left, top, side = box
    colour, width = (PENCIL, round(px(0.3))) if style == "pencil" else (INK, round(px(0.5)))
    jitter = lambda: rng.uniform(-0.4, 0.4) * px(1)  # noqa: E731
    inset = -px(1.5) if style == "overshoot" else px(0.6)
    a, b = left + inset, left + side - inset
    c, d = top + inset, top + side - inset
    if style == "fill":
        draw.rectangle(
            [left + px(0.3), top + px(0.3), left + side - px(0.3), top + side - px(0.3)], fill=INK
        )
    elif style == "check":
        middle = (left + side * 0.4 + jitter(), top + side * 0.85 + jitter())
        draw.line([(left + side * 0.12, top + side * 0.5), middle], fill=colour, width=width)
        draw.line([middle, (left + side * 1.05, top - side * 0.1)], fill=colour, width=width)
    else:
        draw.line(
            [(a + jitter(), c + jitter()), (b + jitter(), d + jitter())], fill=colour, width=width
        )
        draw.line(
            [(b + jitter(), c + jitter()), (a + jitter(), d + jitter())], fill=colour, width=width
        )


def draw_writing(draw: ImageDraw.ImageDraw, layout: CardLayout, dpi: int, rng: random.Random):
    """Handwriting-like scribbles on one to three of the ruled lines."""
    px = _mm(dpi)
    top = layout.qr_top + layout.kinds_y + layout.writing[0]
    pitch = (layout.writing[1] - layout.writing[0]) / 6
    for line in rng.sample(range(1, 6), rng.randint(1, 3)):
        y = top + line * pitch - 1.0
        x = layout.qr_left + layout.writing_x[0] + rng.uniform(0, 10)
        end = x + rng.uniform(25, 70)
        points = []
        while x < end:
            points.append((px(x), px(y - rng.uniform(0, 3.5))))
            x += rng.uniform(0.6, 1.6)
        draw.line(points, fill=INK, width=round(px(0.4)), joint="curve")


def mark_card(
    card: Image.Image,
    truth: Marked,
    dpi: int,
    rng: random.Random,
    layout: CardLayout = CURRENT,
    variant: int = 0,
) -> Image.Image:
    """The card with ``truth``'s marks drawn in, where ``layout`` has its boxes (``variant``: which
    of its kinds rows)."""
    card = card.copy()
    draw = ImageDraw.Draw(card)
    px = _mm(dpi)
    side = px(layout.box)
    if truth.rating is not None:
        x = layout.qr_left + layout.rating_x[truth.rating - 1]
        draw_tick(draw, (px(x), px(layout.qr_top + layout.rating_y), side), truth.style, dpi, rng)
    if truth.kind is not None:
        index = ("lob", "anregung", "kritik").index(truth.kind)
        x = layout.qr_left + layout.kinds_x[variant][index]
        draw_tick(draw, (px(x), px(layout.qr_top + layout.kinds_y), side), truth.style, dpi, rng)
    if truth.circled:
        column = rng.randrange(5)
        fx = layout.qr_left + layout.rating_x[column] + layout.face[0]
        fy = layout.qr_top + layout.rating_y + layout.face[1]
        r = 4.5
        draw.ellipse(
            [px(fx - r), px(fy - r), px(fx + r), px(fy + r)], outline=INK, width=round(px(0.5))
        )
    if truth.writing:
        draw_writing(draw, layout, dpi, rng)
    return card


def scanned(card: Image.Image, rng: random.Random, upside_down: bool) -> Image.Image:
    """Scaled 97–103 %, turned ±3° (and by 180° if ``upside_down``)."""
    factor = rng.uniform(0.97, 1.03)
    card = card.resize(
        (round(card.width * factor), round(card.height * factor)), Image.Resampling.BILINEAR
    )
    angle = rng.uniform(-3, 3) + (180 if upside_down else 0)
    return card.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255)


def degrade(page: Image.Image, rng: random.Random, quality: int) -> bytes:
    """Noised and JPEG-compressed, as a scanner delivers it; the JPEG's bytes."""
    # A tile of noise repeated over the page: as good as fresh noise for the reader, and much
    # faster to make.
    tile = np.random.default_rng(rng.randrange(1 << 30)).normal(0, 5, (509, 509))
    noise = np.tile(tile.round().astype(np.int16), (page.height // 509 + 1, page.width // 509 + 1))
    pixels = np.asarray(page, dtype=np.int16) + noise[: page.height, : page.width]
    pixels = np.clip(pixels, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def random_truths(codes: list[str], rng: random.Random, *, written=0.2, empty=0.08):
    """What to mark on each card: mostly a clear rating and kind, some written on, circled or
    left empty."""
    truths = []
    for code in codes:
        draw = rng.random()
        rating = None if draw < empty else rng.randint(1, 5)
        kind = rng.choice([None, "lob", "anregung", "kritik"])
        truths.append(
            Marked(
                code=code,
                rating=rating,
                kind=kind,
                style=rng.choice(STYLES),
                writing=rng.random() < written,
                circled=rating is None and rng.random() < 0.5,
                upside_down=rng.random() < 0.25,
            )
        )
    return truths


def make_stack(
    sheet_pdf: bytes,
    truths: list[Marked],
    *,
    dpi: int = 300,
    seed: int = 1,
    per_page: int = 2,
    quality: int = 80,
    layout: CardLayout = CURRENT,
    variant: int = 0,
    first: int = 0,
) -> list[bytes]:
    """JPEG pages (A4 landscape, ``per_page`` cards side by side) of the marked, scanned cards;
    the truths are the sheet's cards from ``first`` on. Sets each truth's page."""
    rng = random.Random(seed)
    cards = render_cards(sheet_pdf, dpi, first, len(truths))
    assert len(cards) >= len(truths), "the sheet has fewer cards than marks to draw"
    px = _mm(dpi)
    width, height = round(px(297)), round(px(210))
    pages = []
    for start in range(0, len(truths), per_page):
        page = Image.new("L", (width, height), 255)
        for place, truth in enumerate(truths[start : start + per_page]):
            marked = mark_card(cards[start + place], truth, dpi, rng, layout, variant)
            card = scanned(marked, rng, truth.upside_down)
            card = card.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.0)))
            left = round(px(8) + place * px(148))
            top = max(0, (height - card.height) // 2)
            page.paste(card, (left, top))
            truth.page = len(pages) + 1
        pages.append(degrade(page, rng, quality))
    return pages


def as_pdf(pages: list[bytes], dpi: int) -> bytes:
    """The JPEG pages in one PDF, embedded as they are (DCT), each page the image's size."""
    from fpdf import FPDF

    pdf = FPDF(unit="mm")
    pdf.set_auto_page_break(False)
    for jpeg in pages:
        with Image.open(io.BytesIO(jpeg)) as image:
            size = (image.width * 25.4 / dpi, image.height * 25.4 / dpi)
        pdf.add_page(format=size)
        pdf.image(io.BytesIO(jpeg), x=0, y=0, w=size[0], h=size[1])
    return bytes(pdf.output())


def as_tiff(pages: list[bytes]) -> bytes:
    images = [Image.open(io.BytesIO(jpeg)) for jpeg in pages]
    buffer = io.BytesIO()
    images[0].save(
        buffer, format="TIFF", save_all=True, append_images=images[1:], compression="jpeg"
    )
    return buffer.getvalue()
