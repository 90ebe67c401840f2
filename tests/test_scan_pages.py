"""Scan einlesen and Prüfen through HTTP: upload a stack, see the summary, review the queued cards
beside their pictures, save or discard; only the KRM officer, pictures never cached."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from conftest import csrf_token, login, stored_feedback
from sqlalchemy import select

from admin.paper.models import ScanReview
from cards.services import add_cards, add_location, list_cards
from portal.audit import AuditEvent
from portal.db import utcnow
from portal.deadlines import BERLIN
from portal.extensions import db
from tests import scanstack

SCAN, REVIEW = "/admin/paper/scan", "/admin/paper/review"


@pytest.fixture
def sheet(app, runner, tmp_path):
    with app.app_context():
        add_location(db.session, "HST", "Hauptstelle Musterstadt")
        add_cards(db.session, "HST", "Empfang", count=4)
        db.session.commit()
        codes = [card.code for card in list_cards(db.session, location_code="HST")]
    out = tmp_path / "sheet.pdf"
    assert runner.invoke(args=["cards", "sheet", "--out", str(out)]).exit_code == 0
    return out.read_bytes(), codes


def stack(sheet, truths, seed=1) -> bytes:
    pdf, _codes = sheet
    return scanstack.as_pdf(scanstack.make_stack(pdf, truths, dpi=200, seed=seed), 200)


def upload(client, data: bytes, name="stapel.pdf", **fields):
    form = {"csrf_token": csrf_token(client, SCAN), "received_on": "", **fields}
    form["file"] = (io.BytesIO(data), name)
    return client.post(SCAN, data=form, content_type="multipart/form-data")


def today() -> date:
    return utcnow().astimezone(BERLIN).date()


def queued(app) -> list[ScanReview]:
    with app.app_context():
        return list(db.session.scalars(select(ScanReview).order_by(ScanReview.id)))


def test_an_uploaded_stack_is_summed_up_card_by_card(app, krm_client, sheet):
    _pdf, codes = sheet
    truths = [
        scanstack.Marked(codes[0], 5, "lob", "cross"),
        scanstack.Marked(codes[1], 2, "kritik", "cross", writing=True),
    ]
    data = stack(sheet, truths)
    assert len(data) > 256 * 1024  # larger than any other form may be: the upload limit is raised
    response = upload(krm_client, data, received_on="2026-12-01")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "2 Karten gefunden, 1 gespeichert, 1 zur Prüfung, 0 Seiten ohne Karte." in html
    [feedback] = stored_feedback(app)
    assert f">gespeichert (Nr. {feedback.id})</a>" in html
    assert "Auf der Karte ist etwas geschrieben." in html
    assert feedback.received_at.astimezone(BERLIN).date() == date(2026, 12, 1)
    assert [item.code for item in queued(app)] == [codes[1]]

    again = upload(krm_client, stack(sheet, truths)).get_data(as_text=True)
    assert f"bereits am {today():%d.%m.%Y} eingelesen" in again
    assert len(stored_feedback(app)) == 1


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"", "leer.pdf", "Die Datei ist leer."),
        (b"PK\x03\x04 not a scan", "liste.xlsx", "weder ein PDF noch ein Bild"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_in_german_with_the_date_kept(
    krm_client, data, name, message
):
    response = upload(krm_client, data, name, received_on="2026-11-30")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and "Der Scan ist noch nicht eingelesen" in html
    assert 'name="received_on" value="2026-11-30"' in html


def test_no_file_chosen_is_refused(krm_client):
    form = {"csrf_token": csrf_token(krm_client, SCAN), "received_on": ""}
    response = krm_client.post(SCAN, data=form, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Bitte wählen Sie die gescannte Datei" in response.get_data(as_text=True)


def test_a_queued_card_is_typed_beside_its_picture_and_saved_masked(app, krm_client, sheet):
    _pdf, codes = sheet
    truths = [
        scanstack.Marked(codes[0], 3, "anregung", "check", writing=True),
        scanstack.Marked(codes[1], None, None, "cross", circled=True),
    ]
    upload(krm_client, stack(sheet, truths))
    first, second = queued(app)

    html = krm_client.get(REVIEW).get_data(as_text=True)
    assert f'src="/admin/paper/review/{first.id}/picture"' in html
    assert f'value="{codes[0]}"' in html
    assert re.search(r'<input[^>]*name="rating" value="3" checked', html)
    assert re.search(r'<input[^>]*name="kind" value="anregung" checked', html)
    assert re.search(r'<textarea[^>]*id="text"[^>]*autofocus', html)
    assert "2</strong> Karten warten" in html

    picture = krm_client.get(f"/admin/paper/review/{first.id}/picture")
    assert picture.status_code == 200 and picture.mimetype == "image/png"
    assert picture.headers["Cache-Control"] == "no-store"
    assert picture.data.startswith(b"\x89PNG")

    form = {
        "csrf_token": csrf_token(krm_client, REVIEW),
        "code": codes[0],
        "rating": "3",
        "kind": "anregung",
        "text": "Bitte rufen Sie mich an: 0171 2345678",
        "received_on": today().isoformat(),
        "count": "0",
    }
    response = krm_client.post(f"/admin/paper/review/{first.id}", data=form)
    assert response.status_code == 303 and response.headers["Location"] == REVIEW
    [feedback] = stored_feedback(app)
    assert "0171 2345678" not in feedback.text and feedback.text_masked
    assert (feedback.rating, feedback.card.code) == (3, codes[0])
    assert [item.id for item in queued(app)] == [second.id]  # the first card's picture is gone
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "paper card scanned")
        ).one()
    assert event.feedback_id == feedback.id

    html = krm_client.get(REVIEW).get_data(as_text=True)  # the next card comes up
    assert "Karte gespeichert (Nr." in html
    assert "Um einen Smiley ist etwas eingekreist oder gezeichnet." in html
    assert "Nicht sicher gelesen" in html
    assert krm_client.get(f"/admin/paper/review/{first.id}/picture").status_code == 404


def test_a_refused_review_keeps_the_picture_and_what_was_typed(app, krm_client, sheet):
    _pdf, codes = sheet
    upload(krm_client, stack(sheet, [scanstack.Marked(codes[0], 4, None, "cross", writing=True)]))
    [item] = queued(app)
    form = {
        "csrf_token": csrf_token(krm_client, REVIEW),
        "code": "ZZZZZ",
        "rating": "4",
        "text": "Sehr freundlich am Empfang",
        "received_on": today().isoformat(),
    }
    response = krm_client.post(f"/admin/paper/review/{item.id}", data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Eine Karte mit dem Code „ZZZZZ“ gibt es nicht." in html
    assert "Sehr freundlich am Empfang" in html
    assert f'src="/admin/paper/review/{item.id}/picture"' in html
    assert stored_feedback(app) == [] and len(queued(app)) == 1


def test_a_card_without_a_readable_code_asks_for_the_printed_code(app, krm_client):
    with app.app_context():
        db.session.add(
            ScanReview(
                received_on=today(),
                page=1,
                code=None,
                uncertain="code",
                reasons="Der QR-Code ist nicht lesbar: bitte den Kartencode eintippen.",
                fingerprint="x:0",
                picture=b"\x89PNG",
            )
        )
        db.session.commit()
    html = krm_client.get(REVIEW).get_data(as_text=True)
    assert "bitte den Code neben dem QR-Code auf dem Bild eintippen" in html
    assert re.search(r'<input[^>]*id="code"[^>]*autofocus', html)


def test_discarding_drops_the_card_and_its_picture(app, krm_client, sheet):
    _pdf, codes = sheet
    upload(krm_client, stack(sheet, [scanstack.Marked(codes[0], None, None, "cross")]))
    [item] = queued(app)
    response = krm_client.post(
        f"/admin/paper/review/{item.id}/discard",
        data={"csrf_token": csrf_token(krm_client, REVIEW)},
    )
    assert response.status_code == 303
    assert queued(app) == [] and stored_feedback(app) == []
    html = krm_client.get(REVIEW).get_data(as_text=True)
    assert "Karte verworfen, ihr Bild ist gelöscht." in html
    assert "Keine Karten zur Prüfung." in html


@pytest.mark.parametrize("role", ["team", "read"])
def test_only_the_krm_officer_sees_the_scans_and_their_pictures(app, accounts, role):
    with app.app_context():
        db.session.add(ScanReview(received_on=today(), page=1, fingerprint="y:0", picture=b"P"))
        db.session.commit()
        item_id = db.session.scalar(select(ScanReview.id))
    client = app.test_client()
    login(client, accounts[role])
    for path in (SCAN, REVIEW, f"/admin/paper/review/{item_id}/picture"):
        assert client.get(path).status_code == 403, path
    assert "Scan einlesen" not in client.get("/admin/").get_data(as_text=True)


def test_nothing_of_a_scan_reaches_the_log(app, krm_client, sheet, caplog):
    _pdf, codes = sheet
    truths = [scanstack.Marked(codes[0], 2, None, "cross", writing=True)]
    with caplog.at_level("DEBUG"):
        upload(krm_client, stack(sheet, truths))
        [item] = queued(app)
        krm_client.get(REVIEW)
        krm_client.get(f"/admin/paper/review/{item.id}/picture")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "PNG" not in logged and codes[0] not in logged
