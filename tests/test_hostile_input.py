"""Hostile input, generated: arbitrary Unicode, control characters, huge and missing fields, wrong
content types and broken encodings at the collector and the admin forms.

Two properties: never a server error, and a valid text is never lost – it is stored (cleaned by
``portal.text.clean_text``, masked by ``portal.privacy``), or refused and shown again in the answer.

The examples are bounded and derandomized (the "ci" profile below): every run on every machine
tries the same ones, so a failure in CI reproduces locally. ``HYPOTHESIS_PROFILE=explore`` tries
many more, randomly, while you work on the forms.
"""

from __future__ import annotations

import os
import re
from urllib.parse import quote_from_bytes

from conftest import csrf_token
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from admin.accounts.models import Team
from admin.forms import single_line
from admin.inbox.models import Note, Topic
from cards.models import Card
from cards.services import add_location
from portal.db import utcnow
from portal.extensions import db
from portal.feedback import Feedback
from portal.privacy import mask_personal_data
from portal.public.forms import MAX_TEXT
from portal.submissions import Submission, submit_feedback
from portal.text import clean_text, fingerprint_text
from portal.vocab import Channel

# One app (and database) serves all examples of a test: that is what function_scoped_fixture says.
COMMON = {
    "deadline": None,
    "database": None,  # derandomized examples need no example database (nor a .hypothesis/ folder)
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
settings.register_profile("ci", max_examples=100, derandomize=True, **COMMON)
settings.register_profile("explore", max_examples=2000, **COMMON)
hostile = settings(settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci")))

# Everything a client can send as UTF-8 (lone surrogates cannot be; broken bytes have their own
# test), weighted towards what breaks things: NUL, CR, LF, RTL marks, combining marks, emoji.
TRICKY = "\x00\r\n\t\x0b\x1b\x7f\x85\u00a0\u200b\u200e\u202e\u2028\u0301\ufeff\ufffd😀🇩🇪"
characters = st.one_of(st.characters(codec="utf-8"), st.sampled_from(TRICKY))
any_text = st.text(characters, max_size=300)
long_text = st.text(characters, min_size=1900, max_size=2100)
form_value = st.one_of(any_text, st.sampled_from(["", "1", "5", "lob", "y", "de", "ar", "on"]))
RATINGS = ["", "1", "2", "3", "4", "5"]


def expected_text(typed: str) -> str | None:
    """What the database must hold for a typed text: cleaned, then masked."""
    cleaned = clean_text(typed)
    return mask_personal_data(cleaned).text if cleaned else None


def stored_text_exists(app, text: str) -> bool:
    """The text is stored, or an earlier example's text that is the same message (the examples
    share one database, and "v" after "V" with the same rating is a duplicate by design)."""
    with app.app_context():
        if db.session.scalar(select(Feedback.id).where(Feedback.text == text)) is not None:
            return True
        texts = db.session.scalars(select(Feedback.text).where(Feedback.text.is_not(None)))
        return fingerprint_text(text) in {fingerprint_text(stored) for stored in texts}


def shown_again(page: str, typed: str) -> bool:
    """The refused text is in the page as the person typed it (after the same clean-up)."""
    cleaned = clean_text(typed)
    return cleaned is None or str(escape(cleaned)) in page


# --- the collector -----------------------------------------------------------------------------


@hostile
@given(text=st.one_of(any_text, long_text), rating=st.sampled_from(RATINGS), lang=form_value)
def test_any_text_is_stored_cleaned_and_masked_or_shown_again(app, client, text, rating, lang):
    response = client.post("/submit", data={"lang": lang, "rating": rating, "text": text})

    page = response.get_data(as_text=True)
    cleaned = clean_text(text)
    valid = (cleaned or rating) and len(cleaned or "") <= MAX_TEXT
    if valid:
        assert response.status_code == 303, page[:500]
        if cleaned:
            assert stored_text_exists(app, expected_text(text))
    else:
        assert response.status_code == 422
        assert shown_again(page, text)


@hostile
@given(raw=st.binary(max_size=600), rating=st.sampled_from(["3", ""]))
def test_broken_encodings_are_stored_as_far_as_they_read(app, client, raw, rating):
    """Bytes that are no UTF-8 (a broken client, a wrong charset) are kept: werkzeug reads each
    invalid byte as its percent escape ("%80"), the rest as UTF-8."""
    body = b"lang=de&rating=" + rating.encode() + b"&text=" + quote_from_bytes(raw).encode()
    response = client.post(
        "/submit", data=body, content_type="application/x-www-form-urlencoded; charset=utf-8"
    )

    typed = raw.decode("utf-8", errors="werkzeug.url_quote")
    if rating or clean_text(typed):
        assert response.status_code == 303
        if clean_text(typed):
            assert stored_text_exists(app, expected_text(typed))
    else:
        assert response.status_code == 422


FIELDS = [
    "rating",
    "kind",
    "area",
    "text",
    "contact_email",
    "contact_phone",
    "consent",
    "website",
    "card",
    "lang",
]


@hostile
@given(
    fields=st.lists(
        st.tuples(st.one_of(st.sampled_from(FIELDS), any_text), form_value), max_size=14
    )
)
def test_arbitrary_missing_and_repeated_fields_get_an_answer(app, client, fields):
    response = client.post("/submit", data=MultiDict(fields))

    assert response.status_code in (303, 422), response.get_data(as_text=True)[:500]
    if response.status_code == 303:
        form = MultiDict(fields)
        text = form.get("text")
        honeypot = (form.get("website") or "").strip()
        if text and clean_text(text) and not honeypot:
            assert stored_text_exists(app, expected_text(text))


CONTENT_TYPES = [
    "application/json",
    "text/plain",
    "text/plain; charset=latin-1",
    "application/x-www-form-urlencoded; charset=latin-1",
    "application/x-www-form-urlencoded; charset=nonsense",
    "multipart/form-data",
    "multipart/form-data; boundary=xyz",
    "application/xml",
    "application/octet-stream",
    "",
]


@hostile
@given(content_type=st.sampled_from(CONTENT_TYPES), body=st.binary(max_size=2000))
def test_wrong_content_types_get_an_answer_not_an_error(client, content_type, body):
    response = client.post("/submit", data=body, content_type=content_type or None)
    assert response.status_code in (303, 400, 413, 422), response.get_data(as_text=True)[:500]


ORIGIN_PARTS = st.text(st.sampled_from("[]:@/.%#?a1-"), max_size=12)


@hostile
@given(
    origin=st.one_of(
        st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60),
        st.builds("http://{}".format, ORIGIN_PARTS),  # malformed URLs: "http://[", "http://a:b"
    ),
    card=any_text,
)
@example(origin="http://[", card="")  # urlsplit refuses it: once a 500
def test_odd_origins_and_card_codes_never_break_the_collector(app, client, origin, card):
    response = client.post(
        "/submit",
        data={"lang": "de", "rating": "4", "text": "Danke für die Hilfe.", "card": card},
        headers={"Origin": origin},
    )
    assert response.status_code in (303, 403), response.get_data(as_text=True)[:500]
    if response.status_code == 403:
        assert "Danke für die Hilfe." in response.get_data(as_text=True)


def test_a_body_over_the_limit_gets_the_friendly_413(client):
    response = client.post("/submit", data={"lang": "de", "text": "x" * 300_000})
    assert response.status_code == 413
    assert "kürzen Sie" in response.get_data(as_text=True)


def test_a_flood_of_fields_gets_an_answer(client):
    fields = MultiDict([(f"field{number}", "x") for number in range(20_000)])
    response = client.post("/submit", data=fields)
    assert response.status_code in (413, 422)


# --- the admin forms ---------------------------------------------------------------------------


@hostile
@given(name=any_text, password=any_text)
def test_the_login_form_answers_anything(app, accounts, name, password):
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/admin/login", data={"name": name, "password": password, "csrf_token": token}
    )
    assert response.status_code in (401, 303), response.get_data(as_text=True)[:500]


def _entry(app) -> int:
    with app.app_context():
        stored = submit_feedback(
            db.session,
            Submission(Channel.HOMEPAGE, language="de", rating=2, text="Zu lange Wartezeit."),
            now=utcnow(),
            check_duplicates=False,  # a new entry for every example
        )
        db.session.commit()
        return stored.feedback_id


INBOX_KEYS = ["q", "status", "kind", "channel", "location", "card", "rating", "from", "to"]
INBOX_KEYS += ["overdue", "team", "sort", "before", "after"]


@hostile
@given(args=st.lists(st.tuples(st.sampled_from(INBOX_KEYS), form_value), max_size=8))
def test_the_inbox_filters_answer_anything(app, krm_client, args):
    _entry(app)
    response = krm_client.get("/admin/", query_string=MultiDict(args))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]


ENTRY_FIELDS = [
    "status",
    "team",
    "ombudsstelle",
    "acknowledge",
    *(f"concerns-{n}-{part}" for n in range(4) for part in ("kind", "area", "topic", "assessment")),
]
ENTRY_VALUES = st.one_of(
    any_text,
    st.sampled_from(
        ["", "neu", "erledigt", "spam", "fachliche_beschwerde", "lob", "leistung", "begruendet"]
    ),
    st.integers(-5, 10**20).map(str),
)


@hostile
@given(fields=st.lists(st.tuples(st.sampled_from(ENTRY_FIELDS), ENTRY_VALUES), max_size=12))
def test_the_entry_form_answers_anything(app, krm_client, fields):
    entry = _entry(app)
    token = csrf_token(krm_client)
    response = krm_client.post(
        f"/admin/entries/{entry}", data=MultiDict([("csrf_token", token), *fields])
    )
    assert response.status_code in (303, 422), response.get_data(as_text=True)[:500]


@hostile
@given(note=st.one_of(any_text, st.text(characters, min_size=4990, max_size=5020)))
def test_a_note_is_stored_cleaned_or_shown_again(app, krm_client, note):
    entry = _entry(app)
    token = csrf_token(krm_client)
    response = krm_client.post(
        f"/admin/entries/{entry}/notes", data={"csrf_token": token, "note": note}
    )

    cleaned = clean_text(note)
    if cleaned and len(cleaned) <= 5000:
        assert response.status_code == 303
        with app.app_context():
            assert db.session.scalar(select(Note.text).where(Note.feedback_id == entry)) == cleaned
    else:
        assert response.status_code == 422
        assert shown_again(response.get_data(as_text=True), note)


@hostile
@given(
    code=st.one_of(any_text, st.just("HSTK1")),
    location=form_value,
    rating=st.sampled_from([*RATINGS, "0", "x"]),
    text=st.one_of(any_text, long_text),
    received_on=st.one_of(
        any_text,
        st.dates().map(str),
        st.dates().map(lambda day: f"{day:%d.%m.%Y}"),
    ),
    count=form_value,
)
def test_the_paper_capture_stores_the_card_or_shows_it_again(
    app, krm_client, code, location, rating, text, received_on, count
):
    with app.app_context():
        if db.session.scalar(select(Card.id).where(Card.code == "HSTK1")) is None:
            place = add_location(db.session, "HST", "Hauptstelle")
            db.session.add(Card(code="HSTK1", label="Empfang", location=place))
            db.session.commit()
    token = csrf_token(krm_client, "/admin/paper/")
    data = {"csrf_token": token, "code": code, "location": location, "rating": rating}
    data |= {"text": text, "received_on": received_on, "count": count}
    response = krm_client.post("/admin/paper/", data=data)

    assert response.status_code in (303, 422), response.get_data(as_text=True)[:500]
    if response.status_code == 303 and clean_text(text):
        assert stored_text_exists(app, expected_text(text))
    if response.status_code == 422:
        assert shown_again(response.get_data(as_text=True), text)


@hostile
@given(kind=st.sampled_from(["topics", "teams"]), name=st.one_of(any_text, long_text))
def test_the_settings_forms_answer_anything(app, krm_client, kind, name):
    token = csrf_token(krm_client, "/admin/settings/")
    field = "topic_name" if kind == "topics" else "team_name"
    response = krm_client.post(f"/admin/settings/{kind}", data={"csrf_token": token, field: name})

    assert response.status_code in (303, 422), response.get_data(as_text=True)[:500]
    typed = single_line(name)
    if response.status_code == 303:
        model = Topic if kind == "topics" else Team
        with app.app_context():
            assert db.session.scalar(select(model.id).where(model.name == typed)) is not None
    elif typed:
        assert str(escape(typed)) in response.get_data(as_text=True)
