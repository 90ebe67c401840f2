"""The collector's fast path: a valid post stored before Flask, exactly as the view would."""

from __future__ import annotations

import pytest
from conftest import stored_feedback
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from werkzeug.datastructures import MultiDict

from portal.extensions import db
from portal.public.forms import FeedbackForm, normalize_email, normalize_phone, submission_of
from portal.submissions import Submission
from portal.vocab import Area, Channel, Kind

pytestmark = pytest.mark.engines

CHOICES = ["", " ", "0", "1", "2", " 3 ", "5", "6", "2.0", "lob", "kritik", "anregung", "LOB"]
CHOICES += ["vermittlung", "organisation", "leistungen", "x", "None"]
FIELDS = {
    "rating": st.sampled_from(CHOICES) | st.text(max_size=3),
    "kind": st.sampled_from(CHOICES),
    "area": st.sampled_from(CHOICES),
    "text": st.sampled_from(["", " \n ", "Danke!", "a" * 2000, "a" * 2001, "é" * 2001])
    | st.text(max_size=30),
    "contact_email": st.sampled_from(
        ["", " ", "a@b.de", " name@beispiel.de ", "x@", "@b.de", "a" * 250 + "@b.de", "a b@c.de"]
    ),
    "contact_phone": st.sampled_from(["", " ", "0261 123456", "+49 261 123456", "123", "abc"]),
    "consent": st.sampled_from(["", "false", "False", "y", "on", "true", "0"]),
    "card": st.sampled_from(["", " ", "ABCD-EFGH", "x"]),
    "lang": st.sampled_from(["", "de", "en", "xx"]),
}
posts = st.fixed_dictionaries({}, optional=FIELDS)


def expected(form: FeedbackForm, language: str) -> Submission:
    """What the view stored from a valid form, before the fast path existed."""
    consent = form.consent.data
    return Submission(
        channel=Channel.CARD_QR if form.card.data else Channel.HOMEPAGE,
        language=language,
        rating=int(form.rating.data) if form.rating.data else None,
        kind=Kind(form.kind.data) if form.kind.data else None,
        area=Area(form.area.data) if form.area.data else None,
        text=form.text.data,
        contact_email=normalize_email(form.contact_email.data) if consent else None,
        contact_phone=normalize_phone(form.contact_phone.data) if consent else None,
        card_code=form.card.data,
    )


@pytest.mark.parametrize("database_engine", ["sqlite"], indirect=True)
@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(fields=posts)
def test_the_fast_reading_and_the_form_agree_on_every_post(app, fields):
    with app.test_request_context("/submit", method="POST"):
        form = FeedbackForm(MultiDict(fields))
        valid = form.validate()
        submission = submission_of(fields, "de")
    assert (submission is not None) == valid, form.errors
    if valid:
        assert submission == expected(form, "de")


VALID = [
    {"rating": "4", "kind": "lob", "area": "vermittlung", "text": "Gute Beratung!"},
    {"text": "Nur ein Text, Tel. 0261 123456", "lang": "en"},
    {"rating": "1", "contact_email": " a@b.de ", "consent": "y", "text": "Bitte anrufen"},
    {"rating": "3", "card": "UNBEKANNT", "kind": " kritik "},
]


def _row(feedback) -> dict:
    return {
        column: getattr(feedback, column)
        for column in (
            "channel",
            "language",
            "rating",
            "kind",
            "area",
            "text",
            "text_masked",
            "contact_email",
            "contact_phone",
            "status",
            "duplicate_key",
            "card_id",
        )
    }


@pytest.mark.parametrize("data", VALID)
def test_a_valid_post_is_stored_and_answered_as_the_view_does(make_app, data):
    """The same post as a browser's form (the fast path) and as multipart (the view)."""
    fast_app, view_app = make_app(), make_app()
    fast = fast_app.test_client().post("/submit", data=data)
    view = view_app.test_client().post("/submit", data=data, content_type="multipart/form-data")
    assert fast.status_code == view.status_code == 303
    assert fast.get_data() == view.get_data()
    assert sorted(fast.headers.items()) == sorted(view.headers.items())
    [stored_fast], [stored_view] = stored_feedback(fast_app), stored_feedback(view_app)
    assert _row(stored_fast) == _row(stored_view)
    assert stored_fast.close_by == stored_view.close_by


def _count_flask_requests(app) -> list[str]:
    seen: list[str] = []
    app.before_request(lambda: seen.append("flask"))
    return seen


def test_a_valid_post_does_not_reach_flask_and_an_invalid_one_does(app, client):
    seen = _count_flask_requests(app)
    assert client.post("/submit", data={"rating": "2", "text": "Danke"}).status_code == 303
    assert seen == []
    response = client.post("/submit", data={"rating": "9", "text": "Danke"})
    assert response.status_code == 422
    assert "Bitte wählen Sie einen der fünf Werte aus." in response.get_data(as_text=True)
    assert "Danke" in response.get_data(as_text=True)
    assert seen == ["flask"]
    assert len(stored_feedback(app)) == 1


def test_the_honeypot_is_thanked_on_the_fast_path_and_nothing_stored(app, client):
    seen = _count_flask_requests(app)
    response = client.post("/submit", data={"rating": "2", "website": "http://spam.example"})
    assert response.status_code == 303 and seen == []
    assert stored_feedback(app) == []


def test_a_foreign_page_goes_to_the_view_and_is_refused(app, client):
    seen = _count_flask_requests(app)
    response = client.post(
        "/submit", data={"text": "Mein Text"}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403 and seen == ["flask"]
    assert "Mein Text" in response.get_data(as_text=True)
    assert stored_feedback(app) == []


def test_a_body_that_is_not_utf8_goes_to_the_view(app, client):
    response = client.post(
        "/submit", data=b"rating=2&text=caf\xe9", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code < 500


def test_whitespace_for_a_choice_counts_as_no_choice(app, client):
    for data in ({"kind": " ", "text": "Hallo"}, {"rating": "  ", "text": "Hallo"}):
        assert client.post("/submit", data=data).status_code == 303
        assert client.post("/submit", data=data, content_type="multipart/form-data").status_code
    assert {(f.kind, f.rating) for f in stored_feedback(app)} == {(None, None)}


@pytest.mark.parametrize("database_engine", ["sqlite"], indirect=True)
def test_when_storing_fails_the_citizen_gets_the_error_page_not_a_bare_500(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)  # as in production: the error page, not a raise
    client = app.test_client()
    with app.app_context():
        db.session.execute(text("DROP TABLE report_rollup"))
        db.session.commit()
    response = client.post("/submit", data={"rating": "2", "text": "Danke"})
    assert response.status_code == 500
    assert "Leider ist ein Fehler aufgetreten" in response.get_data(as_text=True)


@pytest.mark.parametrize("database_engine", ["sqlite"], indirect=True)
def test_without_a_size_limit_the_fast_path_still_stores(make_app):
    app = make_app(MAX_CONTENT_LENGTH=None, MAX_FORM_MEMORY_SIZE=None)
    assert app.test_client().post("/submit", data={"rating": "3"}).status_code == 303
    assert len(stored_feedback(app)) == 1
