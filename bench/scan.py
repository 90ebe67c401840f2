"""Scanned paper cards: how fast ``cards.scan`` reads them, and a whole stack end to end.

``BENCH_SCAN_CARDS`` cards (default 100) are printed with ``cards.sheets.sheet_pdf`` (what
``krm cards sheet`` writes), marked and scanned by the tests' own stack maker
(``tests/scanstack.py``: ticks of every style, a fifth of the cards written on, ±3°, some upside
down, 97–103 %, blur, noise, JPEG), two cards to an A4 page. Two figures, one run each, in one
process (one core: PDFium, Pillow, zxing-cpp and numpy's element-wise work are single-threaded):

- reading: ``cards.scan.read_pages`` over the stack as a 300 dpi multi-page TIFF (JPEG inside),
  pages decoded, QR codes found, every card cut out, judged and pictured; cards per second.
- end to end: ``admin.paper.scan.scan_file`` (what ``krm paper scan`` and the page Scan einlesen
  run) over the stack as a 300 dpi PDF, in a migrated SQLite database: rasterising, reading,
  storing the clear cards through the capture service and queueing the others with their
  pictures, then the commit.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from bench.common import DATA, Figure, Section, app_config, isolate_instance, size
from cards import scan
from cards.services import MAX_CARDS, add_cards, add_location, list_cards
from cards.sheets import sheet_pdf
from portal import create_app, schema
from portal.db import utcnow
from portal.deadlines import BERLIN
from portal.extensions import db
from portal.submissions import Rules
from tests import scanstack

DPI = 300


def run() -> Section:
    from admin.paper.scan import REVIEW, STORED, scan_file

    count = size("BENCH_SCAN_CARDS", 100)
    DATA.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="scan-", dir=DATA) as name:
        folder = Path(name)
        isolate_instance(folder / "instance")
        config = app_config(f"sqlite:///{folder / 'krm.sqlite3'}")
        app = create_app(config)
        schema.upgrade(app)
        with app.app_context():
            add_location(db.session, "BENCH", "Dienststelle Bench")
            for first in range(0, count, MAX_CARDS):
                add_cards(db.session, "BENCH", "Empfang", count=min(MAX_CARDS, count - first))
            db.session.commit()
            cards = list_cards(db.session, location_code="BENCH")
            codes = [card.code for card in cards]
            pdf = sheet_pdf(cards, base_url="https://feedback.example.org", jobcenter_name="Bench")
        truths = scanstack.random_truths(codes, random.Random(1))
        pages = scanstack.make_stack(pdf, truths, dpi=DPI, seed=1)
        tiff, stack = scanstack.as_tiff(pages), scanstack.as_pdf(pages, DPI)

        started = time.perf_counter()
        read = [card for page in scan.read_pages(scan.open_file(tiff)) for card in page.cards]
        reading = time.perf_counter() - started

        with app.app_context():
            now = utcnow()
            started = time.perf_counter()
            report = scan_file(
                db.session,
                stack,
                received_on=now.astimezone(BERLIN).date(),
                actor="bench",
                now=now,
                rules=Rules.from_config(app.config),
            )
            db.session.commit()
            end_to_end = time.perf_counter() - started
            db.engine.dispose()
    clear = sum(truth.clear for truth in truths)
    by_code = {card.code: card for card in read}
    missing = [truth for truth in truths if truth.code not in by_code]
    stored_clear = sum(
        truth.clear and truth.code in by_code and by_code[truth.code].clear for truth in truths
    )
    figures = [
        Figure(
            f"scan: cards read per second, {DPI} dpi TIFF",
            len(read) / reading,
            "cards/s",
            goal=5,
            higher_is_better=True,
        ),
        Figure(f"scan: {count} cards end to end ({DPI} dpi PDF)", end_to_end, "s", goal=20),
    ]
    details = [
        f"{len(pages)} pages, {len(read)} cards read in {reading:.1f} s; end to end "
        f"{report.count(STORED)} stored and {report.count(REVIEW)} queued for review in "
        f"{end_to_end:.1f} s ({report.cards / end_to_end:.1f} cards/s).",
        f"Of the {clear} cards ticked clearly and not written on, {stored_clear} were read as "
        f"clear ({stored_clear / max(clear, 1):.0%}); the stack files: TIFF "
        f"{len(tiff) / 1e6:.1f} MB, PDF {len(stack) / 1e6:.1f} MB. Cards not found at all: "
        f"{len(missing)}.",
    ]
    return Section("Scanned paper cards", figures, details)
