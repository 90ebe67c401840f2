"""Turkish under /tr/ and German in Leichte Sprache under /ls/: pages, form, errors, dates."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import stored_feedback

BERLIN = ZoneInfo("Europe/Berlin")


def hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def test_turkish_pages_are_in_turkish(client):
    html = client.get("/tr/feedback/").get_data(as_text=True)
    assert '<html lang="tr" dir="ltr">' in html
    assert "<h1>Geri bildiriminiz</h1>" in html
    assert "ne kadar memnunsunuz?" in html
    assert "Ihre Rückmeldung" not in html
    assert hidden_fields(html) == {"lang": "tr"}


def test_leichte_sprache_is_german_in_its_own_words(client):
    html = client.get("/ls/").get_data(as_text=True)
    assert '<html lang="de" dir="ltr">' in html
    assert "<h1>Ihre Meinung ist wichtig</h1>" in html
    assert "Widerspruch heißt:" in html, "the hard word Widerspruch is explained"
    assert "Ihre Meinung zählt" not in html


def test_plain_german_at_the_root_keeps_its_own_texts(client):
    html = client.get("/").get_data(as_text=True)
    assert "<h1>Ihre Meinung zählt</h1>" in html
    assert "Ihre Meinung ist wichtig" not in html
    assert "Widerspruch heißt:" not in html


def test_the_language_switch_names_turkish_and_leichte_sprache(client):
    html = client.get("/datenschutz/").get_data(as_text=True)
    assert '<a href="/tr/datenschutz/" hreflang="tr" lang="tr">Türkçe</a>' in html
    assert '<a href="/ls/datenschutz/" hreflang="de" lang="de">Leichte Sprache</a>' in html


@pytest.mark.parametrize(
    ("code", "thanks"),
    [("tr", "Geri bildiriminiz için çok teşekkür ederiz"), ("ls", "Vielen Dank für Ihre Meinung")],
)
def test_a_form_posted_from_the_language_thanks_in_it_and_stores_it(app, client, code, thanks):
    fields = hidden_fields(client.get(f"/{code}/feedback/").get_data(as_text=True))
    response = client.post("/submit", data={**fields, "rating": "4", "text": "Alles gut."})

    assert response.status_code == 303
    assert response.headers["Location"] == f"http://127.0.0.1:5000/{code}/danke/"
    assert thanks in client.get(f"/{code}/danke/").get_data(as_text=True)
    [feedback] = stored_feedback(app)
    assert feedback.language == code
    assert feedback.text == "Alles gut."


@pytest.mark.parametrize(
    ("code", "lang", "message"),
    [
        ("tr", "tr", "Lütfen beş seçenekten birini seçin."),
        ("ls", "de", "Bitte wählen Sie 1 von den 5 Antworten."),
    ],
)
def test_a_refused_form_explains_the_error_in_its_language(client, code, lang, message):
    response = client.post("/submit", data={"lang": code, "rating": "7", "text": "Mein Text"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<html lang="{lang}"' in html
    assert message in html
    assert "Mein Text</textarea>" in html


def limited_client(make_app, limits):
    return make_app(RATELIMIT_ENABLED=True, SUBMIT_LIMITS=limits).test_client()


def test_the_time_to_come_back_on_a_leichte_sprache_page_is_a_german_date(make_app):
    client = limited_client(make_app, "1 per day")
    assert client.post("/submit", data={"rating": "2", "lang": "ls"}).status_code == 303
    response = client.post("/submit", data={"rating": "2", "text": "Noch mal", "lang": "ls"})

    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert '<html lang="de"' in html
    found = re.search(r"Ab (\d{2}\.\d{2}\.\d{2}, \d{2}:\d{2}) Uhr geht es wieder\.", html)
    assert found, "the time is written as a German date, in Leichte Sprache"
    shown = datetime.strptime(found[1], "%d.%m.%y, %H:%M").replace(tzinfo=BERLIN)
    expected = datetime.now(BERLIN) + timedelta(seconds=int(response.headers["Retry-After"]))
    assert abs(shown - expected) < timedelta(minutes=2)


@pytest.mark.parametrize(
    ("code", "wait"),
    [
        ("tr", "Lütfen 1 dakika sonra tekrar deneyin."),
        ("ls", "Bitte warten Sie 1 Minute. Dann versuchen Sie es noch einmal."),
    ],
)
def test_the_429_page_counts_minutes_in_its_language(make_app, code, wait):
    client = limited_client(make_app, "1 per minute")
    client.post("/submit", data={"rating": "2", "lang": code})
    response = client.post("/submit", data={"rating": "2", "text": "Noch mal", "lang": code})
    assert response.status_code == 429
    assert wait in response.get_data(as_text=True)
