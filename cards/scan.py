"""Read scanned Meinungskarten: the card's code, the ticked boxes and whether anything is written.

A file (PDF, PNG, JPEG, TIFF) is read page by page. On each page zxing-cpp finds every QR code
with its corners; the QR code is the card's alignment mark: its corners give position, scale and
rotation (any angle; a mirrored scan is refused). The card is cut out upright at a fixed
resolution, the layout whose printed squares are found there is chosen (cards/layouts.py), each
row of boxes is snapped to its printed squares, and then:

- a box is judged by the ink inside it, measured a margin away from its printed border: below
  one threshold it is clearly empty, above the other clearly ticked, in between uncertain. Ink
  is measured as darkness against the paper of the card, summed (not counted), so a blurred or
  grey pencil line weighs what it weighs. A fully filled box counts as ticked.
- ink around a smiley (a circled smiley instead of a ticked box) makes the rating uncertain.
- the writing area counts ink that is not on the printed ruled lines.

Nothing here knows about the database: the result says what was read and how certain; the
paper room (admin) decides what is stored and what goes to review.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import zxingcpp
from PIL import Image, ImageSequence, UnidentifiedImageError

from cards.codes import normalize
from cards.layouts import LAYOUTS, QR_BOX, QUIET_ZONE, CardLayout, crop

MAX_PAGES = 300
PDF_DPI = 200  # rasterising PDF pages: the reader works at 8 px/mm (203 dpi) anyway
RESOLUTION = 8  # px per mm of the upright card
PICTURE_RESOLUTION = 5  # px per mm of the stored picture (127 dpi: handwriting stays legible)

# Ink: darkness 0 (paper) to 1 (black), after a dead band that swallows scanner noise.
DEAD_BAND = 14
# Mean darkness inside a box: clearly empty below, clearly ticked above, uncertain between.
EMPTY_BELOW = 0.015
TICKED_ABOVE = 0.045
BOX_MARGIN = 0.75  # mm inside the printed border where the ink is measured
RING = 0.35  # mm either side of a box's border line when looking for the printed square
LAYOUT_FOUND = 0.2  # mean darkness of the weakest box's border for a layout to count as found
SEARCH = 2.5  # mm around a row's place in the layout where its squares are looked for
CIRCLED = 0.04  # mean darkness around a smiley above which it counts as circled
WRITING_CELL = 2.0  # mm: the writing area is judged in cells of this size
WRITING_INK = 0.06  # mean darkness of a cell that holds writing
WRITING_CELLS = 2  # cells with ink from which the card counts as written on

# zxing-cpp's local binarizer finds most codes; a blurred or unevenly lit one that it misses, the
# global one often finds. Both passes are joined (a code found twice counts once).
BINARIZERS = (zxingcpp.Binarizer.LocalAverage, zxingcpp.Binarizer.GlobalHistogram)

CODE_IN_URL = re.compile(r"/k/([0-9A-Za-z-]{1,20})/?$")


class ScanError(ValueError):
    """A file that cannot be read at all; the message (German) says why."""


@dataclass
class ReadCard:
    """One card as read from a page."""

    page: int  # 1-based
    index: int  # the card's place on its page, 0-based
    code: str | None
    rating: int | None
    kind: str | None  # a portal.vocab.Kind value
    writing: bool
    certain: dict[str, bool]  # code, rating, kind, writing
    reasons: list[str]  # why the card needs review (German); empty for a clear card
    picture: bytes  # PNG of the card, upright
    layout: str | None  # cards.layouts name
    fingerprint: str  # of the page's content and the card's place on it
    inks: dict[str, list[float]] = field(default_factory=dict)  # per box, see box_state

    @property
    def clear(self) -> bool:
        """Everything read with certainty and nothing written: can be stored without review."""
        return not self.reasons


@dataclass
class PageResult:
    page: int
    cards: list[ReadCard] = field(default_factory=list)
    error: str | None = None  # German
    fingerprint: str = ""


@dataclass(frozen=True)
class Source:
    """The pages of a file, opened: ``count`` pages, ``render(index)`` gives one in grey."""

    count: int
    kind: str  # "PDF" or "Bild"
    _render: object

    def render(self, index: int) -> np.ndarray:
        return self._render(index)


# Opening files ----------------------------------------------------------------------------------


def open_file(data: bytes) -> Source:
    """The pages of a PDF or an image file; ScanError with a German message if there are none."""
    if not data:
        raise ScanError("Die Datei ist leer.")
    source = _open_pdf(data) if data.lstrip()[:5] == b"%PDF-" else _open_image(data)
    if source.count == 0:
        raise ScanError("Die Datei enthält keine Seite.")
    if source.count > MAX_PAGES:
        raise ScanError(
            f"Die Datei hat {source.count} Seiten; bitte höchstens {MAX_PAGES} Seiten auf einmal "
            "einlesen (den Stapel teilen)."
        )
    return source


def _open_pdf(data: bytes) -> Source:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        if "password" in str(error).lower():
            raise ScanError(
                "Das PDF ist mit einem Kennwort geschützt. Bitte ohne Kennwort scannen oder "
                "speichern und noch einmal hochladen."
            ) from error
        raise ScanError(
            "Das PDF ist beschädigt und kann nicht gelesen werden. Bitte noch einmal scannen."
        ) from error

    def render(index: int) -> np.ndarray:
        page = document[index]
        try:
            scanned = _scanned_image(pdfium, page)
            if scanned is not None:
                return scanned
            bitmap = page.render(scale=PDF_DPI / 72, grayscale=True)
            return np.array(bitmap.to_numpy()).reshape(bitmap.height, bitmap.width)
        finally:
            page.close()

    return Source(len(document), "PDF", render)


def _scanned_image(pdfium, page) -> np.ndarray | None:
    """The page's JPEG as the scanner wrote it, decoded in grey, if the page is just that (and
    perhaps invisible OCR text): three times faster than rasterising the page. None otherwise."""
    images, others = [], 0
    for item in page.get_objects():
        if item.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE:
            images.append(item)
        elif item.type != pdfium.raw.FPDF_PAGEOBJ_TEXT:
            others += 1
    if len(images) != 1 or others or images[0].get_filters() != ["DCTDecode"]:
        return None
    a, b, c, d, _e, _f = images[0].get_matrix().get()
    if not (a > 0 and d > 0 and b == 0 and c == 0):
        return None  # drawn turned or mirrored: let PDFium draw it
    buffer = io.BytesIO()
    images[0].extract(buffer)
    image = Image.open(io.BytesIO(buffer.getvalue()))
    image.draft("L", image.size)  # decode the brightness only
    return np.asarray(image.convert("L"))


def _open_image(data: bytes) -> Source:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise ScanError(
            "Die Datei ist weder ein PDF noch ein Bild (PNG, JPEG oder TIFF) und kann nicht "
            "eingelesen werden."
        ) from error
    count = getattr(image, "n_frames", 1)

    def render(index: int) -> np.ndarray:
        frame = ImageSequence.Iterator(image)[index]
        return np.asarray(frame.convert("L"))

    return Source(count, "Bild", render)


# Reading pages ---------------------------------------------------------------------------------


def read_pages(source: Source) -> Iterator[PageResult]:
    """Each page's cards, in page order; a page that fails carries its error and the others go
    on."""
    for index in range(source.count):
        number = index + 1
        try:
            grey = source.render(index)
        except Exception as error:
            yield PageResult(number, error=f"Seite {number} kann nicht gelesen werden ({error}).")
            continue
        yield read_page(grey, number)


def read_page(grey: np.ndarray, number: int = 1) -> PageResult:
    """The cards on one page (a 2-D uint8 array)."""
    fingerprint = page_fingerprint(grey)
    result = PageResult(number, fingerprint=fingerprint)
    try:
        anchors = find_anchors(grey)
    except Exception as error:  # keep the other pages
        result.error = f"Seite {number} kann nicht gelesen werden ({error})."
        return result
    for index, anchor in enumerate(anchors):
        try:
            result.cards.append(read_card(grey, anchor, number, index, fingerprint))
        except Exception as error:  # keep the other cards of the page
            result.error = (
                f"Seite {number}: eine Karte kann nicht gelesen werden ({error}); bitte von Hand "
                "erfassen."
            )
    if not result.cards and not result.error:
        result.error = f"Seite {number}: keine Karte gefunden (kein QR-Code lesbar)."
    return result


def page_fingerprint(grey: np.ndarray) -> str:
    """Of the page's pixels: the same page in a file uploaded again gives the same value."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(np.asarray(grey.shape, dtype=np.int64).tobytes())
    digest.update(np.ascontiguousarray(grey).tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Anchor:
    """A QR code on a page: its text (None if unreadable), and the page's pixels per card mm as
    an affine map (2×3) from card mm (relative to the QR box) to page pixels."""

    code: str | None
    matrix: np.ndarray
    corners: np.ndarray  # top left, top right, bottom right, bottom left (page px)
    modules: int


def find_anchors(grey: np.ndarray) -> list[Anchor]:
    """Every QR code on the page that could be a card's, top to bottom, left to right."""
    found = [
        barcode
        for binarizer in BINARIZERS
        for barcode in zxingcpp.read_barcodes(
            grey, formats=zxingcpp.BarcodeFormat.QRCode, return_errors=True, binarizer=binarizer
        )
    ]
    found.sort(key=lambda barcode: not barcode.valid)  # a code read beats the same one unread
    anchors, centres = [], []
    for barcode in found:
        code = _code(barcode.text) if barcode.valid else None
        if barcode.valid and code is None:
            continue  # another QR code, not a card's
        modules = _modules(barcode)
        if modules is None:
            continue
        corners = _corners(barcode)
        centre = corners.mean(axis=0)
        size = np.linalg.norm(corners[1] - corners[0])
        if any(np.linalg.norm(centre - other) < size / 2 for other in centres):
            continue  # the same code found twice
        centres.append(centre)
        anchors.append(_anchor(code, corners, modules))
    order = sorted(range(len(anchors)), key=lambda i: (round(centres[i][1] / 400), centres[i][0]))
    return [anchors[i] for i in order]


def _code(text: str) -> str | None:
    match = CODE_IN_URL.search(text.strip())
    return normalize(match.group(1)) if match else None


def _modules(barcode) -> int | None:
    """Modules per side, from the QR version (21 for version 1, 4 more per version)."""
    extra = barcode.extra if isinstance(barcode.extra, dict) else {}
    try:
        return 17 + 4 * int(extra.get("Version", ""))
    except (TypeError, ValueError):
        return None


def _corners(barcode) -> np.ndarray:
    position = barcode.position
    return np.array(
        [
            [point.x, point.y]
            for point in (
                position.top_left,
                position.top_right,
                position.bottom_right,
                position.bottom_left,
            )
        ],
        dtype=float,
    )


def _anchor(code: str | None, corners: np.ndarray, modules: int) -> Anchor:
    return Anchor(code, _matrix(corners, modules), corners, modules)


def _mirror(anchor: Anchor) -> Anchor:
    """The same QR code taken as a mirror image: its top right and bottom left corners swapped."""
    return _anchor(anchor.code, anchor.corners[[0, 3, 2, 1]], anchor.modules)


def _matrix(corners: np.ndarray, modules: int) -> np.ndarray:
    """The affine map from card mm to page pixels that puts the QR code's corners in place."""
    module = QR_BOX / (modules + 2 * QUIET_ZONE)
    near, far = QUIET_ZONE * module, (QUIET_ZONE + modules) * module
    card = np.array([[near, near], [far, near], [far, far], [near, far]])
    design = np.hstack([card, np.ones((4, 1))])
    solution, *_ = np.linalg.lstsq(design, corners, rcond=None)
    return solution.T  # page = matrix @ (x, y, 1)


# Reading one card -------------------------------------------------------------------------------


@dataclass
class _Found:
    layout: CardLayout
    score: float
    rating: list[tuple[float, float]]  # top left of each box, in upright px
    kinds: list[tuple[float, float]]


def read_card(grey: np.ndarray, anchor: Anchor, page: int, index: int, page_print: str) -> ReadCard:
    fingerprint = f"{page_print}:{index}"
    certain = {"code": anchor.code is not None, "rating": False, "kind": False, "writing": False}
    card, offset = upright(grey, anchor)
    darkness = _darkness(card)
    found = _find_layout(darkness, offset)
    mirrored = _mirrored(grey, anchor) if found is None else None
    if mirrored is not None:
        return ReadCard(
            page,
            index,
            anchor.code,
            None,
            None,
            False,
            certain,
            ["Die Karte ist spiegelverkehrt gescannt."],
            picture(mirrored),
            None,
            fingerprint,
        )
    reasons = (
        [] if anchor.code else ["Der QR-Code ist nicht lesbar: bitte den Kartencode eintippen."]
    )
    rating = kind = None
    writing = False
    inks: dict[str, list[float]] = {"rating": [], "kind": []}
    if found is None:
        reasons.append("Die Kästchen der Karte wurden nicht gefunden.")
    else:
        size = found.layout.box * RESOLUTION
        rating, certain["rating"], why, inks["rating"] = _judge_row(
            darkness, found.rating, size, "Bewertung"
        )
        reasons += why
        if certain["rating"] and _circled(darkness, found):
            certain["rating"], rating = False, None
            reasons.append("Um einen Smiley ist etwas eingekreist oder gezeichnet.")
        kind_index, certain["kind"], why, inks["kind"] = _judge_row(
            darkness, found.kinds, size, "Art"
        )
        reasons += why
        kind = KINDS[kind_index - 1] if kind_index else None
        writing, certain["writing"] = _writing(darkness, found)
        if writing or not certain["writing"]:
            reasons.append("Auf der Karte ist etwas geschrieben.")
        if certain["rating"] and rating is None:
            reasons.append("Keine Bewertung angekreuzt.")
    return ReadCard(
        page,
        index,
        anchor.code,
        rating,
        kind,
        writing,
        certain,
        reasons,
        picture(card),
        found.layout.name if found else None,
        fingerprint,
        inks,
    )


KINDS = ("lob", "anregung", "kritik")


def _mirrored(grey: np.ndarray, anchor: Anchor) -> np.ndarray | None:
    """The card turned the right way round if its boxes are where a mirror image puts them:
    zxing-cpp reads a mirrored QR code as well, so only the layout shows it."""
    card, offset = upright(grey, _mirror(anchor))
    return card if _find_layout(_darkness(card), offset) is not None else None


def upright(grey: np.ndarray, anchor: Anchor) -> tuple[np.ndarray, tuple[float, float]]:
    """The card cut out upright at RESOLUTION px/mm, white outside the page; and where the QR
    box's top left corner lies in it (px)."""
    left, top, right, bottom = crop()
    width, height = round((right - left) * RESOLUTION), round((bottom - top) * RESOLUTION)
    # upright px (u, v) -> card mm (left + u/R, top + v/R) -> page px
    a, b, c = anchor.matrix[0]
    d, e, f = anchor.matrix[1]
    scale = 1 / RESOLUTION
    data = (
        a * scale,
        b * scale,
        a * left + b * top + c,
        d * scale,
        e * scale,
        d * left + e * top + f,
    )
    image = Image.fromarray(grey).transform(
        (width, height), Image.Transform.AFFINE, data, Image.Resampling.BILINEAR, fillcolor=255
    )
    return np.asarray(image), (-left * RESOLUTION, -top * RESOLUTION)


def _darkness(card: np.ndarray) -> np.ndarray:
    """0 for paper to 1 for black, through a table of the 256 grey values (fast)."""
    paper = float(np.percentile(card[::4, ::4], 90))
    span = max(paper - 70.0, 60.0)
    table = np.clip((paper - np.arange(256, dtype=np.float32) - DEAD_BAND) / span, 0, 1)
    return table[card]


def _integral(darkness: np.ndarray) -> np.ndarray:
    summed = np.zeros((darkness.shape[0] + 1, darkness.shape[1] + 1), dtype=np.float64)
    summed[1:, 1:] = darkness.cumsum(0).cumsum(1)
    return summed


def _box_sum(summed: np.ndarray, x, y, width, height):
    """Sum of darkness over rectangles (arrays of integer px, clipped to the picture)."""
    rows, columns = summed.shape[0] - 1, summed.shape[1] - 1
    x0 = np.clip(x, 0, columns)
    y0 = np.clip(y, 0, rows)
    x1 = np.clip(x + width, 0, columns)
    y1 = np.clip(y + height, 0, rows)
    return summed[y1, x1] - summed[y0, x1] - summed[y1, x0] + summed[y0, x0]


def _ring(summed: np.ndarray, x, y, size: int):
    """Mean darkness along the border of a square box whose top left corner is (x, y)."""
    t = max(1, round(RING * RESOLUTION))
    outer = _box_sum(summed, x - t, y - t, size + 2 * t, size + 2 * t)
    inner = _box_sum(summed, x + t, y + t, size - 2 * t, size - 2 * t)
    area = (size + 2 * t) ** 2 - (size - 2 * t) ** 2
    return (outer - inner) / area


def _snap(summed, xs, y, size, search) -> tuple[float, int, int]:
    """The shift (dx, dy) in px within ``search`` that puts boxes at (xs, y) on their printed
    squares best; returns (mean border darkness, dx, dy)."""
    shifts = np.arange(-search, search + 1)
    dy, dx = np.meshgrid(shifts, shifts, indexing="ij")
    lefts = np.array([round(x) for x in xs])[:, None, None]  # all boxes at once
    scores = _ring(summed, lefts + dx, round(y) + dy, size).mean(axis=0)
    best = np.unravel_index(np.argmax(scores), scores.shape)
    return float(scores[best]), int(dx[best]), int(dy[best])


def _refine(summed, x: int, y: int, size: int) -> tuple[int, int, float]:
    """A box's own place, within 2 px of its row's: scans and prints are not perfectly even."""
    score, dx, dy = _snap(summed, [x], y, size, 2)
    return x + dx, y + dy, score


def _find_layout(darkness: np.ndarray, offset: tuple[float, float]) -> _Found | None:
    """The layout whose rows of squares are found best, with each box's place (px)."""
    # Only the band of the rows is searched: the sums over the whole card cost four times more.
    band = round(offset[1] + (min(item.rating_y for item in LAYOUTS) - SEARCH - 2) * RESOLUTION)
    band_end = offset[1] + (max(item.kinds_y for item in LAYOUTS) + 2 * SEARCH + 8) * RESOLUTION
    band = max(band, 0)
    summed = _integral(darkness[band : round(band_end)])
    search = round(SEARCH * RESOLUTION)
    best: _Found | None = None
    for layout in LAYOUTS:
        size = round(layout.box * RESOLUTION)
        ox, oy = offset[0], offset[1] - band
        xs = [ox + x * RESOLUTION for x in layout.rating_x]
        y = oy + layout.rating_y * RESOLUTION
        _score, dx, dy = _snap(summed, xs, y, size, search)
        rating = [_refine(summed, round(x) + dx, round(y) + dy, size) for x in xs]
        kinds_y = oy + layout.kinds_y * RESOLUTION + dy
        kinds = None
        for variant in layout.kinds_x:
            kxs = [ox + x * RESOLUTION + dx for x in variant]
            _kscore, kdx, kdy = _snap(summed, kxs, kinds_y, size, search)
            placed = [_refine(summed, round(x) + kdx, round(kinds_y) + kdy, size) for x in kxs]
            if kinds is None or min(p[2] for p in placed) > min(p[2] for p in kinds):
                kinds = placed
        score = min(p[2] for p in rating + kinds)
        if score >= LAYOUT_FOUND and (best is None or score > best.score):
            best = _Found(
                layout,
                score,
                [(p[0], p[1] + band) for p in rating],
                [(p[0], p[1] + band) for p in kinds],
            )
    return best


def box_ink(darkness: np.ndarray, x: int, y: int, size: int) -> float:
    """Mean darkness inside a box, BOX_MARGIN inside its printed border."""
    margin = round(BOX_MARGIN * RESOLUTION)
    inside = darkness[y + margin : y + size - margin, x + margin : x + size - margin]
    return float(inside.mean()) if inside.size else 0.0


def box_state(ink: float) -> str:
    """ "leer", "angekreuzt" or "unklar" for a box's measured ink."""
    if ink < EMPTY_BELOW:
        return "leer"
    return "angekreuzt" if ink >= TICKED_ABOVE else "unklar"


def _judge_row(darkness, boxes, size, what: str) -> tuple[int | None, bool, list[str], list]:
    """The ticked box of a row (1-based) or None, whether that is certain, why not, and each
    box's ink."""
    size = round(size)
    inks = [round(box_ink(darkness, x, y, size), 4) for x, y in boxes]
    ticked = [number for number, ink in enumerate(inks, 1) if ink >= TICKED_ABOVE]
    unclear = [number for number, ink in enumerate(inks, 1) if EMPTY_BELOW <= ink < TICKED_ABOVE]
    if unclear:
        return (
            None,
            False,
            [f"{what}: ein Kästchen ist weder klar angekreuzt noch klar leer."],
            inks,
        )
    if len(ticked) > 1:
        return None, False, [f"{what}: mehr als ein Kästchen angekreuzt."], inks
    return (ticked[0] if ticked else None), True, [], inks


def _circled(darkness: np.ndarray, found: _Found) -> bool:
    """Ink on the paper around a smiley, away from its box and the words below it."""
    layout = found.layout
    fx, fy = layout.face
    radius = layout.face_radius * RESOLUTION
    size = layout.box * RESOLUTION
    reach = round(5.5 * RESOLUTION)
    ys, xs = np.mgrid[-reach : reach + 1, -reach : reach + 1]
    distance = np.hypot(xs, ys)
    annulus = (
        (distance >= radius + 0.6 * RESOLUTION) & (distance <= reach) & (ys <= 3.6 * RESOLUTION)
    )
    for bx, by in found.rating:
        cx, cy = round(bx + fx * RESOLUTION), round(by + fy * RESOLUTION)
        if cy - reach < 0 or cx - reach < 0:
            return True
        window = darkness[cy - reach : cy + reach + 1, cx - reach : cx + reach + 1]
        if window.shape != annulus.shape:
            return True
        near_box = (
            (xs + cx >= bx - RESOLUTION)
            & (xs + cx <= bx + size + RESOLUTION)
            & (ys + cy >= by - RESOLUTION)
            & (ys + cy <= by + size + RESOLUTION)
        )
        region = annulus & ~near_box
        if float(window[region].mean()) > CIRCLED:
            return True
    return False


def _writing(darkness: np.ndarray, found: _Found) -> tuple[bool, bool]:
    """Whether the writing area holds writing, and whether that is certain. The printed ruled
    lines are found and left out strip by strip (a residual tilt keeps each one within a few
    rows of a strip)."""
    layout = found.layout
    kinds_top = min(y for _x, y in found.kinds)
    left = round(found.kinds[0][0] + (layout.writing_x[0] - layout.kinds_x[0][0]) * RESOLUTION)
    right = round(left + (layout.writing_x[1] - layout.writing_x[0]) * RESOLUTION)
    top = round(kinds_top + (layout.writing[0] + 0.8) * RESOLUTION)
    bottom = round(kinds_top + (layout.writing[1] + 1.5) * RESOLUTION)
    left, top = max(left + RESOLUTION // 2, 0), max(top, 0)
    right, bottom = min(right - RESOLUTION // 2, darkness.shape[1]), min(bottom, darkness.shape[0])
    area = darkness[top:bottom, left:right].copy()
    if area.size == 0:
        return False, False
    strip = 12 * RESOLUTION
    for start in range(0, area.shape[1], strip):
        part = area[:, start : start + strip]
        rule = part.mean(axis=1) > 0.2
        grown = rule | np.roll(rule, 1) | np.roll(rule, -1) | np.roll(rule, 2) | np.roll(rule, -2)
        part[grown] = 0
    cell = round(WRITING_CELL * RESOLUTION)
    rows, columns = area.shape[0] // cell, area.shape[1] // cell
    cells = (
        area[: rows * cell, : columns * cell].reshape(rows, cell, columns, cell).mean(axis=(1, 3))
    )
    inked = int((cells > WRITING_INK).sum())
    faint = int((cells > WRITING_INK / 2).sum())
    if inked >= WRITING_CELLS:
        return True, True
    return False, inked == 0 and faint <= 1


def picture(card: np.ndarray) -> bytes:
    """The upright card as a small grey PNG; the paper is made white so it packs well."""
    image = Image.fromarray(card)
    factor = PICTURE_RESOLUTION / RESOLUTION
    image = image.resize((round(image.width * factor), round(image.height * factor)))
    pixels = np.asarray(image).copy()
    paper = float(np.percentile(pixels[::4, ::4], 90))
    pixels[pixels > paper - 25] = 255
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()
