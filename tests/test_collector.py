"""The collector through the HTTP stack: what is stored, and what bad input gets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import stored_feedback

from cards.models import Card, Location
from portal.extensions import db
from portal.submissions import Submission, submit_feedback
from portal.vocab import Area, Channel, Kind, Status

pytestmark = pytest.mark.engines


def post(client, **data):
    return client.post("/submit", data={"lang": "de", **data})


def test_a_rating_with_kind_and_text_is_stored_and_thanked(app, client):
    before = datetime.now(UTC)
    response = post(client, rating="4", kind="lob", area="vermittlung", text="Gute Beratung!")

    assert response.status_code == 303
    assert response.headers["Location"] == "http://127.0.0.1:5000/danke/"
    [feedback] = stored_feedback(app)
    assert feedback.rating == 4
    assert feedback.kind is Kind.PRAISE
    assert feedback.area is Area.PLACEMENT
    assert feedback.text == "Gute Beratung!"
    assert feedback.channel is Channel.HOMEPAGE
    assert feedback.language == "de"
    assert feedback.status is Status.NEW
    assert feedback.card is None and feedback.location is None
    assert before <= feedback.received_at <= datetime.now(UTC)
    assert feedback.received_at.tzinfo is not None
    assert not feedback.wants_answer


def test_english_form_thanks_in_english(app, client):
    response = post(client, rating="2", lang="en")
    assert response.headers["Location"] == "http://127.0.0.1:5000/en/danke/"
    assert stored_feedback(app)[0].language == "en"


def test_thank_you_page_lives_at_the_public_base_url(make_app):
    client = make_app(PUBLIC_BASE_URL="https://feedback.jobcenter.example/portal/").test_client()
    response = post(client, rating="5")
    assert response.headers["Location"] == "https://feedback.jobcenter.example/portal/danke/"


@pytest.mark.parametrize("data", [{"rating": "1"}, {"text": "Nur ein Text."}])
def test_a_rating_or_a_text_is_enough(app, client, data):
    assert post(client, **data).status_code == 303
    assert len(stored_feedback(app)) == 1


def test_personal_data_in_the_text_is_masked_before_storing(app, client):
    post(client, text="Rufen Sie mich an: 0151 23456789 oder max.muster@example.org, danke.")
    [feedback] = stored_feedback(app)
    assert "23456789" not in feedback.text
    assert "max.muster" not in feedback.text
    assert "[Telefonnummer entfernt]" in feedback.text
    assert "[E-Mail-Adresse entfernt]" in feedback.text
    assert feedback.text_masked


def test_an_empty_form_is_refused_with_a_summary_and_a_message_at_the_field(app, client):
    response = post(client, text="   ")

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert '<div class="error-summary" role="alert"' in page
    assert 'href="#rating-0"' in page
    assert 'id="rating-error"' in page
    assert "Bitte geben Sie eine Bewertung ab oder schreiben Sie uns eine Nachricht." in page
    assert "<title>Fehler:" in page
    assert stored_feedback(app) == []


def test_everything_typed_comes_back_when_something_is_wrong(app, client):
    response = post(
        client,
        rating="2",
        kind="kritik",
        area="kommunal",
        text="Mein Antrag <b>liegt</b> seit Wochen.",
        contact_email="ich@example.org",
        contact_phone="0261 123456",
    )  # no consent given

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="2" checked' in page
    assert 'value="kritik" checked' in page
    assert 'value="kommunal" checked' in page
    assert "Mein Antrag &lt;b&gt;liegt&lt;/b&gt; seit Wochen.</textarea>" in page
    assert 'value="ich@example.org"' in page
    assert 'value="0261 123456"' in page
    assert '<details class="details" open>' in page
    assert "Bitte stimmen Sie zu" in page
    assert stored_feedback(app) == []


@pytest.mark.parametrize("length", [2001, 20_000])
def test_an_overlong_text_is_refused_and_kept_whole(app, client, length):
    text = "Ä" * length
    response = post(client, rating="3", text=text)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "höchstens 2000 Zeichen" in page
    assert text + "</textarea>" in page
    assert stored_feedback(app) == []


def test_line_breaks_count_once_as_the_person_sees_them(app, client):
    text = ("x" * 99 + "\r\n") * 20  # 2,000 characters on screen, 2,020 bytes on the wire
    assert post(client, text=text).status_code == 303
    assert len(stored_feedback(app)[0].text) == 1999  # the trailing newline is trimmed


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("rating", "9", "Bitte wählen Sie einen der fünf Werte aus."),
        ("kind", "beschwerde", "Bitte wählen Sie Lob, Anregung oder Kritik."),
        ("area", "mond", "Bitte wählen Sie einen der genannten Bereiche."),
    ],
)
def test_unknown_values_get_a_specific_message(app, client, field, value, message):
    response = post(client, text="Hallo", **{field: value})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert stored_feedback(app) == []


def test_an_answer_needs_consent_and_a_valid_contact(app, client):
    bad_email = post(client, text="Bitte antworten", contact_email="nicht-gültig@", consent="y")
    assert bad_email.status_code == 422
    assert "gültige E-Mail-Adresse" in bad_email.get_data(as_text=True)

    no_contact = post(client, text="Bitte antworten", consent="y")
    assert no_contact.status_code == 422
    assert "E-Mail-Adresse oder eine Telefonnummer an" in no_contact.get_data(as_text=True)

    bad_phone = post(client, text="Bitte antworten", contact_phone="12", consent="y")
    assert bad_phone.status_code == 422
    assert "gültige Telefonnummer" in bad_phone.get_data(as_text=True)
    assert stored_feedback(app) == []


def test_contact_with_consent_is_stored_normalised(app, client):
    response = post(
        client,
        text="Bitte rufen Sie zurück.",
        contact_email="Max.Muster@Example.ORG",
        contact_phone="(0261) 12 34 56",
        consent="y",
    )
    assert response.status_code == 303
    [feedback] = stored_feedback(app)
    assert feedback.contact_email == "Max.Muster@example.org"
    assert feedback.contact_phone == "+49261123456"
    assert feedback.wants_answer


def test_the_honeypot_gets_thanks_but_stores_nothing(app, client):
    response = post(client, rating="5", text="Buy cheap pills", website="http://spam.example")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/danke/")
    assert stored_feedback(app) == []


def test_a_foreign_origin_is_refused_with_the_text_kept(app, client):
    response = client.post(
        "/submit",
        data={"rating": "1", "text": "Von woanders"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert "Von woanders</textarea>" in response.get_data(as_text=True)
    assert stored_feedback(app) == []


@pytest.mark.parametrize(
    "origin", ["null", "http://127.0.0.1:5000", "http://localhost", "https://www.jc.example"]
)
def test_own_and_unknown_origins_are_accepted(make_app, origin):
    app = make_app(ALLOWED_ORIGINS="https://www.jc.example")
    response = app.test_client().post("/submit", data={"rating": "3"}, headers={"Origin": origin})
    assert response.status_code == 303


def test_a_foreign_referer_without_origin_is_refused_with_the_text_kept(app, client):
    """A browser that sends no Origin but a Referer: the page that posted is on another site."""
    response = client.post(
        "/submit",
        data={"rating": "1", "text": "Von woanders, ohne Origin", "lang": "en"},
        headers={"Referer": "https://evil.example/fake-form.html"},
    )
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "sent from another website" in page
    assert "Von woanders, ohne Origin</textarea>" in page
    assert 'name="lang" value="en"' in page
    assert stored_feedback(app) == []
    with_null = client.post(
        "/submit",
        data={"rating": "1"},
        headers={"Origin": "null", "Referer": "https://evil.example/"},
    )
    assert with_null.status_code == 403
    assert stored_feedback(app) == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Referer": "http://127.0.0.1:5000/k/ABC23/"},
        {"Referer": "https://www.jc.example/kontakt/?quelle=karte"},
        {"Referer": ""},
        {},
        {"Origin": "http://127.0.0.1:5000", "Referer": "https://evil.example/"},
    ],
    ids=["own-referer", "allowed-site", "empty-referer", "no-referer", "own-origin-wins"],
)
def test_own_or_no_referer_is_accepted(make_app, headers):
    app = make_app(ALLOWED_ORIGINS="https://www.jc.example")
    response = app.test_client().post("/submit", data={"rating": "3"}, headers=headers)
    assert response.status_code == 303
    assert len(stored_feedback(app)) == 1


def test_the_same_text_from_the_same_card_is_stored_once_a_day(app, client):
    for _ in range(3):
        assert post(client, text="Zu lange Wartezeit!").status_code == 303
    assert post(client, text="  zu lange   WARTEZEIT! ").status_code == 303
    assert post(client, text="Eine andere Nachricht").status_code == 303
    assert post(client, rating="5").status_code == 303
    assert post(client, rating="5").status_code == 303  # ratings alone are never duplicates
    assert len(stored_feedback(app)) == 4


def test_duplicates_are_per_card_and_per_day(app):
    with app.app_context():
        location = Location(code="HST", name="Hauptstelle")
        location.cards = [Card(code="7QX2M", label="Empfang"), Card(code="8RY3N", label="Team 3")]
        db.session.add(location)
        db.session.flush()
        now = datetime(2026, 11, 20, 10, tzinfo=UTC)

        def submit(code, when):
            submission = Submission(
                channel=Channel.CARD_QR, language="de", text="Danke!", card_code=code
            )
            return submit_feedback(db.session, submission, now=when)  # default rules: 24 h

        first = submit("7QX2M", now)
        assert submit("7QX2M", now + timedelta(hours=23)).duplicate
        assert submit("7QX2M", now + timedelta(hours=23)).feedback_id == first.feedback_id
        assert not submit("8RY3N", now).duplicate
        assert not submit("7QX2M", now + timedelta(hours=25)).duplicate
        db.session.commit()
    assert len(stored_feedback(app)) == 3


def test_the_same_words_with_another_rating_or_from_another_office_are_not_duplicates(app):
    with app.app_context():
        north = Location(code="NORD", name="Nord")
        south = Location(code="SUED", name="Süd")
        db.session.add_all([north, south])
        db.session.flush()
        now = datetime(2026, 11, 20, 10, tzinfo=UTC)

        def paper(location, rating):
            submission = Submission(
                channel=Channel.CARD_PAPER,
                language="de",
                text="Danke!",
                rating=rating,
                location_id=location.id,
            )
            return submit_feedback(db.session, submission, now=now)

        assert not paper(north, 5).duplicate
        assert paper(north, 5).duplicate  # typed in twice
        assert not paper(north, 4).duplicate  # another person, another face
        assert not paper(south, 5).duplicate  # a card without code from another office
        db.session.commit()
    assert len(stored_feedback(app)) == 3


def test_feedback_through_a_card_is_attributed_and_an_unknown_card_still_stored(app, client):
    with app.app_context():
        location = Location(code="HST", name="Hauptstelle")
        location.cards = [Card(code="7QX2M", label="Empfang")]
        db.session.add(location)
        db.session.commit()

    post(client, rating="5", card="7qx2m")
    post(client, rating="4", card="ZZZZZ")
    known, unknown = stored_feedback(app)
    assert known.channel is Channel.CARD_QR
    assert known.card.code == "7QX2M" and known.location.code == "HST"
    assert unknown.channel is Channel.CARD_QR
    assert unknown.card is None and unknown.rating == 4


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"rating": 5, "text": "json"}', "application/json"),
        (b"\xff\xfe\x00garbage\x80\x81", "application/x-www-form-urlencoded"),
        (b"rating=%FF%FE&text=%C3%28%A0", "application/x-www-form-urlencoded"),
        (b"text=" + b"%00" * 50 + b"&rating=3", "application/x-www-form-urlencoded"),
        (b"rating=3&rating=4&rating=abc", "application/x-www-form-urlencoded"),
        (b"--x\r\nbroken multipart", "multipart/form-data; boundary=x"),
        (b"", "text/plain"),
    ],
)
def test_malformed_requests_get_a_4xx_or_are_handled_never_a_500(client, body, content_type):
    response = client.post("/submit", data=body, content_type=content_type)
    assert response.status_code in {303, 400, 413, 415, 422}


def test_control_characters_are_removed_but_the_text_kept(app, client):
    assert post(client, text="Hallo\x00\x07 Welt\x1b").status_code == 303
    assert stored_feedback(app)[0].text == "Hallo Welt"


def test_a_huge_body_is_refused_with_413(app, client):
    response = post(client, text="a" * 300_000)
    assert response.status_code == 413
    assert "zu groß" in response.get_data(as_text=True)
    assert stored_feedback(app) == []


def test_many_fields_do_not_crash_the_collector(client):
    body = "&".join(f"f{i}=x" for i in range(5000)).encode()
    response = client.post("/submit", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code in {413, 422}


def test_a_bookmarked_collector_url_leads_to_the_form(client):
    response = client.get("/submit")
    assert response.status_code == 303
    assert response.headers["Location"] == "/feedback/"
