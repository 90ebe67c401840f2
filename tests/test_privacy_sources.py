"""The masking of issue 17 wherever citizen text enters: the collector and paper cards (Google
reviews: tests/test_google.py); and the warning on an officer's note that holds personal data.

Everything goes through the real HTTP stack (the public form, the admin pages, a fake Google on
loopback speaking the Business Profile reviews API) into a real database.
"""

from __future__ import annotations

import pytest
from conftest import csrf_token, stored_feedback
from sqlalchemy import select

from admin.inbox.models import Note
from cards.models import Card
from cards.services import add_location
from portal.db import utcnow
from portal.deadlines import BERLIN
from portal.extensions import db
from portal.submissions import Submission, submit_feedback
from portal.vocab import Area, Channel

# The "Done when" text of issue 17: every sign of its writer, and a praise of staff.
WRITER_TEXT = (
    "Guten Tag, mein Name ist Jana Beispiel, geboren am 14.07.1979. Meine Steuer-ID ist "
    "36 574 261 809, meine Rentenversicherungsnummer 65 170839 J 003 und mein Personalausweis "
    "hat die Nummer L01X00T47. Schreiben Sie mir an jana punkt beispiel at web punkt de. "
    "Frau Schneider in Team 3 war wirklich großartig, bitte loben Sie sie!\n"
    "Mit freundlichen Grüßen\nJana Beispiel"
)
WRITER_DATA = (
    "Jana",
    "Beispiel",
    "14.07.1979",
    "1979",
    "36 574 261 809",
    "170839",
    "L01X00T47",
    "jana punkt",
    "web punkt de",
)


def test_the_collector_stores_none_of_the_writers_data_but_keeps_the_staff_name(app):
    response = app.test_client().post(
        "/submit", data={"rating": "5", "kind": "lob", "text": WRITER_TEXT, "lang": "de"}
    )
    assert response.status_code == 303
    [feedback] = stored_feedback(app)
    for datum in WRITER_DATA:
        assert datum not in feedback.text
    assert "Frau Schneider in Team 3 war wirklich großartig" in feedback.text
    for placeholder in (
        "[Name entfernt]",
        "[Geburtsdatum entfernt]",
        "[Steuer-ID entfernt]",
        "[Versicherungsnummer entfernt]",
        "[Ausweisnummer entfernt]",
        "[E-Mail-Adresse entfernt]",
    ):
        assert placeholder in feedback.text
    assert feedback.text.endswith("Mit freundlichen Grüßen\n[Name entfernt]")
    assert feedback.text_masked


# --- paper cards ------------------------------------------------------------------------------


@pytest.fixture
def paper_card(app):
    with app.app_context():
        location = add_location(db.session, "HST", "Hauptstelle Musterstadt")
        db.session.add(
            Card(code="B0T1X", label="Team 3", default_area=Area.BENEFITS, location=location)
        )
        db.session.commit()
    return "B0T1X"


def test_a_typed_in_paper_card_is_masked_like_the_form(app, krm_client, paper_card):
    response = krm_client.post(
        "/admin/paper/",
        data={
            "csrf_token": csrf_token(krm_client, "/admin/paper/"),
            "received_on": utcnow().astimezone(BERLIN).date().isoformat(),
            "count": "0",
            "code": paper_card,
            "rating": "2",
            "kind": "kritik",
            "text": "Ich heiße Karl Papier, geb. 03.09.1985. Herr Dr. Weber hat abgesagt.",
        },
    )
    assert response.status_code == 303
    [feedback] = stored_feedback(app)
    assert feedback.channel is Channel.CARD_PAPER
    assert feedback.text == (
        "Ich heiße [Name entfernt], geb. [Geburtsdatum entfernt]. Herr Dr. Weber hat abgesagt."
    )


# --- notes ------------------------------------------------------------------------------------


@pytest.fixture
def entry_id(app, accounts) -> int:
    with app.app_context():
        stored = submit_feedback(
            db.session,
            Submission(channel=Channel.HOMEPAGE, language="de", text="Bitte um Rückruf."),
            now=utcnow(),
        )
        db.session.commit()
        return stored.feedback_id


def notes_of(app, feedback_id: int) -> list[str]:
    with app.app_context():
        query = select(Note.text).where(Note.feedback_id == feedback_id).order_by(Note.id)
        return list(db.session.scalars(query))


def test_a_note_with_personal_data_is_saved_as_written_with_a_warning(app, krm_client, entry_id):
    note = "Kundin angerufen unter 0261 123456, geb. 14.07.1979, Rückruf Montag."
    response = krm_client.post(
        f"/admin/entries/{entry_id}/notes",
        data={"csrf_token": csrf_token(krm_client), "note": note},
        follow_redirects=True,
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Notiz gespeichert." in html
    assert (
        "Die Notiz enthält vermutlich personenbezogene Daten: Telefonnummer, Geburtsdatum." in html
    )
    assert 'class="notice notice--warning" role="alert"' in html
    assert notes_of(app, entry_id) == [note]


def test_a_note_without_personal_data_gets_no_warning(app, krm_client, entry_id):
    note = "Frau Schneider aus Team 3 ruft am 14.07.2026 um 9 Uhr zurück."
    response = krm_client.post(
        f"/admin/entries/{entry_id}/notes",
        data={"csrf_token": csrf_token(krm_client), "note": note},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "Notiz gespeichert." in html
    assert "personenbezogene Daten" not in html
    assert notes_of(app, entry_id) == [note]
