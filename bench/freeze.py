"""``krm freeze`` with many cards: every public page and one page per card, in every language.

``BENCH_CARDS`` cards (default 1,000) at one location, created through ``cards.services`` in a
migrated SQLite database, then ``portal.freeze.freeze_site`` (what ``krm freeze`` runs) writes the
site into an empty folder; the figure is its wall-clock time, one run. The languages are whatever
``portal.i18n.LANGUAGES`` holds when the benchmark runs.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.common import DATA, Figure, Section, app_config, isolate_instance, size
from cards.services import MAX_CARDS, add_cards, add_location
from portal import create_app, schema
from portal.extensions import db
from portal.freeze import freeze_site
from portal.i18n import LANGUAGES


def run() -> Section:
    cards = size("BENCH_CARDS", 1000)
    DATA.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="freeze-", dir=DATA) as name:
        folder = Path(name)
        isolate_instance(folder / "instance")
        config = app_config(
            f"sqlite:///{folder / 'krm.sqlite3'}",
            PUBLIC_BASE_URL="https://feedback.example.org",
            COLLECTOR_URL="https://collector.example.org/submit",
        )
        app = create_app(config)
        schema.upgrade(app)
        with app.app_context():
            add_location(db.session, "BENCH", "Dienststelle Bench")
            for first in range(0, cards, MAX_CARDS):
                add_cards(db.session, "BENCH", "Empfang", count=min(MAX_CARDS, cards - first))
            db.session.commit()
            db.engine.dispose()
        started = time.perf_counter()
        site = freeze_site(config, folder / "site")
        seconds = time.perf_counter() - started
    languages = ", ".join(LANGUAGES)
    figure = Figure(f"freeze: {cards:,} cards × {len(LANGUAGES)} languages", seconds, "s")
    details = [
        f"{len(LANGUAGES)} languages ({languages}); {site.pages:,} HTML pages and "
        f"{len(site.files):,} files in all; {site.pages / seconds:,.0f} pages per second.",
    ]
    return Section("Freeze", [figure], details)
