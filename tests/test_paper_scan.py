"""`krm paper scan`: clear cards stored at once through the capture service, the rest queued for
review with their pictures, nothing twice, German messages, and the pictures purged in time."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from conftest import stored_feedback
from sqlalchemy import select

from admin.paper.models import ScannedPage, ScanReview
from cards.services import add_cards, add_location, list_cards
from portal.audit import AuditEvent
from portal.db import utcnow
from portal.deadlines import BERLIN
from portal.extensions import db
from portal.vocab import Channel, Kind
from tests import scanstack


@pytest.fixture
def sheet(app, runner, tmp_path):
    """Eight cards at HST, their sheet written by `krm cards sheet`; (pdf, codes)."""
    with app.app_context():
        add_location(db.session, "HST", "Hauptstelle Musterstadt")
        add_cards(db.session, "HST", "Empfang", count=8)
        db.session.commit()
        codes = [card.code for card in list_cards(db.session, location_code="HST")]
    out = tmp_path / "sheet.pdf"
    result = runner.invoke(args=["cards", "sheet", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out.read_bytes(), codes


def stack(tmp_path, sheet, truths, name="stapel.pdf", seed=1) -> str:
    pdf, _codes = sheet
    path = tmp_path / name
    path.write_bytes(scanstack.as_pdf(scanstack.make_stack(pdf, truths, dpi=200, seed=seed), 200))
    return str(path)


def scan(runner, *args):
    return runner.invoke(args=["paper", "scan", *args])


def reviews(app) -> list[ScanReview]:
    with app.app_context():
        return list(db.session.scalars(select(ScanReview).order_by(ScanReview.id)))


def test_clear_cards_are_stored_at_once_and_the_rest_go_to_review(app, runner, sheet, tmp_path):
    _pdf, codes = sheet
    truths = [
        scanstack.Marked(codes[0], 4, "lob", "cross"),
        scanstack.Marked(codes[1], 1, "kritik", "check", upside_down=True),
        scanstack.Marked(codes[2], 2, None, "fill", writing=True),
        scanstack.Marked(codes[3], None, None, "cross", circled=True),
    ]
    result = scan(runner, stack(tmp_path, sheet, truths), "--json", "--received", "2026-12-01")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(line["page"], line["code"], line["state"]) for line in lines] == [
        (1, codes[0], "gespeichert"),
        (1, codes[1], "gespeichert"),
        (2, codes[2], "zur Prüfung"),
        (2, codes[3], "zur Prüfung"),
    ]
    assert (lines[0]["rating"], lines[0]["kind"], lines[0]["writing"]) == (4, "lob", False)
    assert lines[2]["writing"] is True and lines[2]["entry"] is None

    feedback = stored_feedback(app)
    assert [(f.id, f.rating, f.kind) for f in feedback] == [
        (lines[0]["entry"], 4, Kind.PRAISE),
        (lines[1]["entry"], 1, Kind.CRITICISM),
    ]
    assert {f.channel for f in feedback} == {Channel.CARD_PAPER}
    assert [f.card.code for f in feedback] == codes[:2]
    assert {f.location.code for f in feedback} == {"HST"}
    assert {f.received_at.astimezone(BERLIN).date() for f in feedback} == {date(2026, 12, 1)}
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("paper card scanned") == 2

    queued = reviews(app)
    assert [(r.code, r.page) for r in queued] == [(codes[2], 2), (codes[3], 2)]
    assert queued[0].rating == 2 and queued[0].writing
    assert "Auf der Karte ist etwas geschrieben." in queued[0].reasons
    assert "rating" in queued[1].uncertain_fields
    assert all(r.picture and r.picture.startswith(b"\x89PNG") for r in queued)
    assert all(r.received_on == date(2026, 12, 1) for r in queued)


def test_the_same_file_or_page_again_stores_nothing_and_says_so(app, runner, sheet, tmp_path):
    _pdf, codes = sheet
    truths = [scanstack.Marked(code, 3, "anregung", "cross") for code in codes[:4]]
    path = stack(tmp_path, sheet, truths)
    assert scan(runner, path).exit_code == 0
    assert len(stored_feedback(app)) == 4

    again = scan(runner, path)
    day = utcnow().astimezone(BERLIN).strftime("%d.%m.%Y")
    assert again.exit_code == 0
    assert f"Seite 1: bereits am {day} eingelesen, nichts neu gespeichert." in again.stdout
    assert "0 Karten gefunden, 0 gespeichert, 0 zur Prüfung" in again.stdout
    assert "2 bereits eingelesen" in again.stdout
    assert len(stored_feedback(app)) == 4
    with app.app_context():
        assert db.session.scalar(select(ScannedPage.cards).limit(1)) == 2


def test_many_cards_of_one_code_with_the_same_ticks_are_all_stored(app, runner, sheet, tmp_path):
    """A code names a touchpoint: two scans of equal cards are two reactions, not a duplicate."""
    _pdf, codes = sheet
    same = [scanstack.Marked(codes[0], 5, "lob", "cross")]
    assert scan(runner, stack(tmp_path, sheet, same, "a.pdf", seed=1)).exit_code == 0
    assert scan(runner, stack(tmp_path, sheet, same, "b.pdf", seed=2)).exit_code == 0
    assert [(f.card.code, f.rating) for f in stored_feedback(app)] == [(codes[0], 5)] * 2


def test_a_dry_run_reads_and_prints_but_stores_nothing(app, runner, sheet, tmp_path):
    _pdf, codes = sheet
    truths = [
        scanstack.Marked(codes[0], 2, None, "cross"),
        scanstack.Marked(codes[1], 3, None, "cross", writing=True),
    ]
    path = stack(tmp_path, sheet, truths)
    result = scan(runner, path, "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"Seite 1: {codes[0]}, Bewertung 2 – gespeichert" in result.stdout
    assert "Probelauf, nichts gespeichert. 2 Karten gefunden, 1 gespeichert, 1 zur Prüfung" in (
        result.stdout
    )
    assert stored_feedback(app) == [] and reviews(app) == []
    assert scan(runner, path).exit_code == 0  # the dry run did not mark the pages as read
    assert len(stored_feedback(app)) == 1


def test_progress_is_reported_per_page_without_a_terminal(runner, sheet, tmp_path):
    _pdf, codes = sheet
    truths = [scanstack.Marked(code, 1, None, "cross") for code in codes[:3]]
    result = scan(runner, stack(tmp_path, sheet, truths), "--json")
    assert result.stderr.splitlines() == ["Seite 1 von 2 gelesen", "Seite 2 von 2 gelesen"]
    assert len(result.stdout.splitlines()) == 3


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "Die Datei ist leer."),
        (b"Datum;Text\n", "Die Datei ist weder ein PDF noch ein Bild (PNG, JPEG oder TIFF)"),
        (b"%PDF-1.4\ngarbage", "Das PDF ist beschädigt und kann nicht gelesen werden."),
    ],
)
def test_a_file_that_cannot_be_read_gets_a_german_message(runner, tmp_path, content, message):
    path = tmp_path / "scan.pdf"
    path.write_bytes(content)
    result = scan(runner, str(path))
    assert result.exit_code == 1
    assert message in result.output


def test_a_page_without_a_card_is_listed(app, runner, tmp_path):
    from PIL import Image

    path = tmp_path / "leer.png"
    Image.new("L", (800, 1100), 255).save(path)
    result = scan(runner, str(path), "--json")
    assert json.loads(result.stdout) == {
        "page": 1,
        "code": None,
        "rating": None,
        "kind": None,
        "writing": False,
        "state": "keine Karte",
        "entry": None,
        "message": "Seite 1: keine Karte gefunden (kein QR-Code lesbar).",
    }


def test_a_received_date_in_the_future_is_refused(runner, sheet, tmp_path):
    _pdf, codes = sheet
    path = stack(tmp_path, sheet, [scanstack.Marked(codes[0], 1, None, "cross")])
    tomorrow = (utcnow().astimezone(BERLIN).date() + timedelta(days=1)).isoformat()
    result = scan(runner, path, "--received", tomorrow)
    assert result.exit_code == 1
    assert "Das Eingangsdatum liegt in der Zukunft" in result.output


def test_purge_deletes_reviews_and_pictures_after_the_retention_days(app, runner, sheet, tmp_path):
    _pdf, codes = sheet
    truths = [
        scanstack.Marked(codes[0], 2, None, "cross", writing=True),
        scanstack.Marked(codes[1], 4, None, "cross", writing=True),
    ]
    assert scan(runner, stack(tmp_path, sheet, truths)).exit_code == 0
    with app.app_context():
        old, new = db.session.scalars(select(ScanReview).order_by(ScanReview.id))
        old.created_at = utcnow() - timedelta(days=15)
        new.created_at = utcnow() - timedelta(days=13)
        db.session.commit()
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "1 scanned cards with their pictures, waiting for review longer than 14 days" in (
        result.output
    )
    assert [r.code for r in reviews(app)] == [codes[1]]
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "scans purged"))
        assert event.one().details == {"reviews": 1, "days": 14}


def test_an_invalid_retention_setting_is_refused(make_app):
    app = make_app(SCAN_RETENTION_DAYS=0)
    result = app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 1
    assert "KRM_SCAN_RETENTION_DAYS muss eine ganze Zahl ab 1 sein, nicht 0." in result.output


def test_a_card_of_an_unknown_code_goes_to_review(app, runner, sheet, tmp_path):
    from cards.models import Card

    _pdf, codes = sheet
    with app.app_context():
        db.session.delete(db.session.scalars(select(Card).where(Card.code == codes[0])).one())
        db.session.commit()
    path = stack(tmp_path, sheet, [scanstack.Marked(codes[0], 5, "lob", "cross")])
    [line] = [json.loads(line) for line in scan(runner, path, "--json").stdout.splitlines()]
    assert (line["state"], line["entry"]) == ("zur Prüfung", None)
    assert f"Eine Karte mit dem Code „{codes[0]}“ gibt es nicht." in line["message"]
    [queued] = reviews(app)
    assert "code" in queued.uncertain_fields and stored_feedback(app) == []
