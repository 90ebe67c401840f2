"""Papierkarten erfassen: the officer types in paper cards, one after another, through HTTP."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from conftest import csrf_token, login, stored_feedback
from sqlalchemy import select

from cards.models import Card
from cards.services import add_cards, add_location
from portal.audit import AuditEvent
from portal.db import utcnow
from portal.deadlines import BERLIN
from portal.extensions import db
from portal.vocab import Area, Channel, Kind

pytestmark = pytest.mark.engines

PATH = "/admin/paper/"
# A code with a 0 and a 1, so that it can be typed with the look-alikes O and I.
CODE = "B0T1X"


@pytest.fixture
def places(app):
    """Two locations; HST has the card B0T1X (default area: benefits)."""
    with app.app_context():
        hst = add_location(db.session, "HST", "Hauptstelle Musterstadt")
        bad = add_location(db.session, "BAD", "Außenstelle Bad Ems")
        db.session.add(Card(code=CODE, label="Team 3", default_area=Area.BENEFITS, location=hst))
        add_cards(db.session, "BAD", "Empfang")
        db.session.commit()
        return {"HST": hst.id, "BAD": bad.id}


def today() -> str:
    return utcnow().astimezone(BERLIN).date().isoformat()


def card(client, **fields) -> dict:
    """A filled-in form: the CSRF token, today's date and the running count, plus ``fields``."""
    return {"csrf_token": csrf_token(client, PATH), "received_on": today(), "count": "0", **fields}


def audit_events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).where(AuditEvent.action == action)
        return list(db.session.scalars(query))


def test_the_form_follows_the_printed_card_and_focuses_the_code(krm_client, places):
    html = krm_client.get(PATH).get_data(as_text=True)
    order = ['name="code"', 'name="location"', 'name="rating"', 'name="kind"', 'name="text"']
    positions = [html.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert re.search(r'<input[^>]*id="code"[^>]*autofocus', html)
    assert "sehr unzufrieden" in html and "Anregung" in html
    assert f'name="received_on" value="{today()}"' in html
    assert "Außenstelle Bad Ems" in html


def test_a_card_typed_by_its_code_is_stored_masked_and_audited(app, krm_client, places):
    response = krm_client.post(
        PATH,
        data=card(
            krm_client,
            code=" boTix ",  # lower case, O for 0 and I for 1
            rating="2",
            kind="kritik",
            text="Niemand ruft zurück. Meine Nummer: 0171 2345678",
        ),
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/paper/?count=1"

    [feedback] = stored_feedback(app)
    assert feedback.channel is Channel.CARD_PAPER
    assert (feedback.card.code, feedback.location.code) == (CODE, "HST")
    assert (feedback.rating, feedback.kind, feedback.language) == (2, Kind.CRITICISM, "de")
    assert feedback.area is Area.BENEFITS, "the card's default area applies"
    assert "2345678" not in feedback.text and "[Telefonnummer entfernt]" in feedback.text
    assert feedback.text_masked
    assert abs(feedback.received_at - utcnow()) < timedelta(minutes=1)

    [event] = audit_events(app, "paper card captured")
    assert (event.actor, event.feedback_id, event.subject) == ("krm", feedback.id, f"card:{CODE}")
    assert event.actor_id is not None
    assert event.details["location"] == "HST"

    page = krm_client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Karte erfasst (Nr. {feedback.id}). Nächste Karte:" in page
    assert "<strong>1</strong> Karte in dieser Runde erfasst" in page
    assert 'name="code" value=""' in page, "the form is empty again"
    assert " checked" not in page
    assert re.search(r'<textarea[^>]*name="text"[^>]*></textarea>', page)
    assert 'name="count" value="1"' in page

    entry = krm_client.get(f"/admin/entries/{feedback.id}").get_data(as_text=True)
    assert "Papierkarte erfasst" in entry and "paper card captured" not in entry


def test_the_count_runs_on_from_card_to_card(krm_client, places):
    response = krm_client.post(PATH, data=card(krm_client, code=CODE, rating="5", count="4"))
    assert response.headers["Location"] == "/admin/paper/?count=5"


def test_a_card_without_code_is_stored_for_the_chosen_location_which_stays(app, krm_client, places):
    location = str(places["BAD"])
    response = krm_client.post(
        PATH, data=card(krm_client, location=location, kind="lob", text="Sehr freundlich!")
    )
    assert response.status_code == 303
    assert f"location={location}" in response.headers["Location"]

    [feedback] = stored_feedback(app)
    assert feedback.card is None and feedback.location.code == "BAD"
    assert (feedback.channel, feedback.rating, feedback.area) == (Channel.CARD_PAPER, None, None)
    assert feedback.text == "Sehr freundlich!"
    [event] = audit_events(app, "paper card captured")
    assert event.subject == "location:BAD"

    page = krm_client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'<option value="{location}" selected>' in page, "the location is remembered"


def test_an_unknown_code_is_refused_and_everything_typed_is_kept(app, krm_client, places):
    text = "Wartezeit 2 Stunden\nam Montag, 3. März"
    response = krm_client.post(
        PATH,
        data=card(
            krm_client,
            code="zzzz9",
            rating="1",
            kind="kritik",
            area="organisation",
            text=text,
            received_on="2026-01-05",
        ),
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Eine Karte mit dem Code „zzzz9“ gibt es nicht" in html
    assert "wählen Sie die Dienststelle" in html
    assert 'class="error-summary"' in html and 'href="#code"' in html
    assert 'name="code" value="zzzz9"' in html
    assert 'value="1" checked' in html and 'value="kritik" checked' in html
    assert 'value="organisation" selected' in html
    assert f">{text}</textarea>" in html
    assert 'value="2026-01-05"' in html
    assert stored_feedback(app) == []
    assert audit_events(app, "paper card captured") == []


def test_a_code_or_a_location_is_needed(app, krm_client, places):
    response = krm_client.post(PATH, data=card(krm_client, rating="3"))
    assert response.status_code == 422
    assert "Bitte geben Sie den Kartencode ein oder wählen Sie die Dienststelle." in (
        response.get_data(as_text=True)
    )
    assert stored_feedback(app) == []


def test_an_empty_card_is_refused(app, krm_client, places):
    response = krm_client.post(PATH, data=card(krm_client, code=CODE, kind="lob", text="  \n "))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Die Karte ist leer: Bitte erfassen Sie die Bewertung oder den Text." in html
    assert 'href="#rating-0"' in html
    assert stored_feedback(app) == []


def test_a_date_in_the_future_is_refused(app, krm_client, places):
    tomorrow = (utcnow().astimezone(BERLIN).date() + timedelta(days=1)).isoformat()
    response = krm_client.post(
        PATH, data=card(krm_client, code=CODE, rating="4") | {"received_on": tomorrow}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Das Datum liegt in der Zukunft." in html
    assert f'value="{tomorrow}"' in html
    assert stored_feedback(app) == []


def test_a_date_that_is_not_one_is_refused(app, krm_client, places):
    response = krm_client.post(
        PATH, data=card(krm_client, code=CODE, rating="4") | {"received_on": "31.02.2026"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Bitte geben Sie ein gültiges Datum an" in html
    assert 'value="31.02.2026"' in html


def test_the_received_date_is_stored_at_noon_berlin_and_kept_for_the_next_card(
    app, krm_client, places
):
    day = utcnow().astimezone(BERLIN).date() - timedelta(days=3)
    response = krm_client.post(
        PATH, data=card(krm_client, code=CODE, rating="4") | {"received_on": f"{day:%d.%m.%Y}"}
    )
    assert response.status_code == 303
    assert f"date={day.isoformat()}" in response.headers["Location"]
    [feedback] = stored_feedback(app)
    assert feedback.received_at == datetime.combine(day, time(12), tzinfo=BERLIN).astimezone(UTC)
    assert feedback.close_by > feedback.received_at, "deadlines run from the day of receipt"

    page = krm_client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'name="received_on" value="{day.isoformat()}"' in page


def test_the_same_card_sent_twice_is_stored_once(app, krm_client, places):
    fields = {"code": CODE, "text": "Danke für die Hilfe beim Antrag."}
    krm_client.post(PATH, data=card(krm_client, **fields))
    response = krm_client.post(PATH, data=card(krm_client, **fields, count="1"))
    assert response.headers["Location"] == "/admin/paper/?count=1", "no second card counted"
    assert len(stored_feedback(app)) == 1
    assert len(audit_events(app, "paper card captured")) == 1
    page = krm_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "schon erfasst" in page


@pytest.mark.parametrize("role", ["team", "read"])
def test_only_the_krm_officer_captures(app, accounts, places, role):
    client = app.test_client()
    assert login(client, accounts[role]).status_code == 303
    assert client.get(PATH).status_code == 403
    token = csrf_token(client, "/admin/login")
    response = client.post(PATH, data={"csrf_token": token, "code": CODE, "rating": "5"})
    assert response.status_code == 403
    assert stored_feedback(app) == []


def test_without_csrf_token_nothing_is_stored(app, krm_client, places):
    data = card(krm_client, code=CODE, rating="5")
    del data["csrf_token"]
    response = krm_client.post(PATH, data=data)
    assert response.status_code == 400
    assert stored_feedback(app) == []
