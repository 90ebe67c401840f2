"""The geometry of every card layout that was ever printed, for the scanner (cards/scan.py).

A printed card must still be read after the design changes, so a layout is never edited once
cards of it are out: a new design gets a new version here, and cards/sheets.py prints the newest.
The QR code does not say which layout a card has; the reader tries each one and keeps the one
whose printed squares it finds (see ``cards.scan``).

All positions are in mm of the A6 design (larger cards are scaled copies, and the QR code gives
the scale), measured from the top left corner of the QR box: the 38 mm square of the code with
its quiet zone of four modules. The rows of boxes follow the text above them, so a long location
name or a second language moves them down a little; the reader looks for each row near its
place here and snaps to the printed squares.

Version 1 (until December 2026): 4 mm boxes with the smiley or label 1.5 mm beside them, the
kinds placed after the width of their labels, no marking hint. Version 2: 5 mm boxes 3 mm from
their smiley or label, the kinds in fixed thirds, and "Bitte ankreuzen: ein Kästchen je Zeile."
under the question. Each version has a German-only and a bilingual variant.
"""

from __future__ import annotations

from dataclasses import dataclass

QR_BOX = 38.0  # the QR code with its quiet zone, in mm
QUIET_ZONE = 4  # modules
CARD = (105.0, 148.0)  # the A6 design


@dataclass(frozen=True)
class CardLayout:
    """Where one printed layout puts its tick boxes and its writing area."""

    name: str  # "2", "2-zweisprachig": stored with each scanned card
    version: int
    qr_left: float  # the QR box's top left corner, from the card's top left corner
    qr_top: float
    box: float  # side of a tick box
    rating_y: float  # top of the five rating boxes
    rating_x: tuple[float, ...]  # left of each rating box, from "sehr unzufrieden" (1) up
    face: tuple[float, float]  # centre of a smiley relative to its box's top left corner
    kinds_y: float  # top of the Lob/Anregung/Kritik boxes
    # Left of the three kinds boxes; version 1 put them after their labels, so each second
    # language printed them elsewhere: every printed variant is listed.
    kinds_x: tuple[tuple[float, float, float], ...]
    writing: tuple[float, float]  # top and bottom of the ruled area, below the kinds row's top
    writing_x: tuple[float, float] = (3.0, 96.0)

    @property
    def face_radius(self) -> float:
        return 2.6


def _ratings(first: float) -> tuple[float, ...]:
    """Five columns of 18.6 mm (93 mm of text width)."""
    return tuple(round(first + 18.6 * index, 3) for index in range(5))


LAYOUTS: tuple[CardLayout, ...] = (
    CardLayout(
        name="2",
        version=2,
        qr_left=3.0,
        qr_top=18.083,
        box=5.0,
        rating_y=47.115,
        rating_x=_ratings(5.3),
        face=(11.0, 2.5),
        kinds_y=62.289,
        kinds_x=((3.0, 34.0, 65.0),),
        writing=(11.027, 52.954),
    ),
    CardLayout(
        name="2-zweisprachig",
        version=2,
        qr_left=3.0,
        qr_top=22.493,
        box=5.0,
        rating_y=53.288,
        rating_x=_ratings(5.3),
        face=(11.0, 2.5),
        kinds_y=74.195,
        kinds_x=((3.0, 34.0, 65.0),),
        writing=(17.421, 30.465),
    ),
    CardLayout(
        name="1",
        version=1,
        qr_left=3.0,
        qr_top=18.083,
        box=4.0,
        rating_y=44.528,
        rating_x=_ratings(6.55),
        face=(8.5, 2.0),
        kinds_y=59.202,
        kinds_x=((3.0, 20.796, 47.063),),
        writing=(10.027, 56.041),
    ),
    CardLayout(
        name="1-zweisprachig",
        version=1,
        qr_left=3.0,
        qr_top=22.493,
        box=4.0,
        rating_y=47.835,
        rating_x=_ratings(6.55),
        face=(8.5, 2.0),
        kinds_y=68.241,
        kinds_x=(
            (3.0, 20.796, 47.063),  # ar, de@ls
            (3.0, 30.539, 56.846),  # en
            (3.0, 26.39, 53.727),  # uk
            (3.0, 26.39, 57.112),  # ru
            (3.0, 26.277, 52.543),  # tr
        ),
        writing=(16.422, 36.419),
    ),
)

CURRENT = LAYOUTS[0]


def layout(name: str) -> CardLayout:
    return next(candidate for candidate in LAYOUTS if candidate.name == name)


def crop() -> tuple[float, float, float, float]:
    """The part of the page to cut out around a QR box, (left, top, right, bottom) from its top
    left corner: the card of any layout with a millimetre to spare."""
    return (
        -max(item.qr_left for item in LAYOUTS) - 1,
        -max(item.qr_top for item in LAYOUTS) - 1,
        CARD[0] - min(item.qr_left for item in LAYOUTS) + 1,
        CARD[1] - min(item.qr_top for item in LAYOUTS) + 1,
    )
