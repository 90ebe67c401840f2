"""Meinungskarten: codes, services, the card form page and the officer's CLI."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
import zxingcpp
from conftest import stored_feedback
from PIL import Image

from cards import codes, qr
from cards.services import CardError, add_cards, add_location, list_cards, retire_card
from portal.extensions import db
from portal.vocab import Area, Channel


@pytest.fixture
def cards(app):
    """A location with two active cards (one with a default area) and a retired one."""
    with app.app_context():
        add_location(db.session, "HST", "Hauptstelle Musterstadt")
        [empfang] = add_cards(db.session, "HST", "Empfang")
        [team] = add_cards(db.session, "HST", "Team 3", default_area=Area.BENEFITS)
        [old] = add_cards(db.session, "HST", "Alter Flyer")
        retire_card(db.session, old.code, now=datetime(2026, 1, 1, tzinfo=UTC))
        db.session.commit()
        return {"empfang": empfang.code, "team": team.code, "retired": old.code}


def test_codes_are_crockford_base32_random_and_forgiving():
    drawn = {codes.new_code() for _ in range(2000)}
    assert len(drawn) > 1990
    assert all(len(code) == 5 and set(code) <= set(codes.ALPHABET) for code in drawn)
    assert not set("ILOU") & set(codes.ALPHABET)
    assert codes.normalize(" 7qx-2m ") == "7QX2M"
    assert codes.normalize("O1IL0") == "01110"
    assert codes.normalize("7QX2") is None
    assert codes.normalize("7QX2U") is None


def test_cards_belong_to_a_location_and_get_distinct_codes(app):
    with app.app_context():
        add_location(db.session, "bad", "Außenstelle Bad Ems")
        created = add_cards(db.session, "BAD", "Empfang", count=25)
        db.session.commit()
        assert len({card.code for card in created}) == 25
        assert {card.location.code for card in created} == {"BAD"}
        assert len(list_cards(db.session, location_code="bad")) == 25
        with pytest.raises(CardError, match="exists already"):
            add_location(db.session, "BAD", "Doppelt")
        with pytest.raises(CardError, match="no location"):
            add_cards(db.session, "XYZ", "Empfang")


def test_retired_cards_are_listed_only_on_request(app, cards):
    with app.app_context():
        active = {card.code for card in list_cards(db.session)}
        everything = {card.code for card in list_cards(db.session, include_retired=True)}
    assert cards["retired"] not in active
    assert everything == active | {cards["retired"]}


def test_the_card_page_names_the_location_and_carries_the_card(client, cards):
    response = client.get(f"/k/{cards['team']}/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Hauptstelle Musterstadt" in html
    assert f'<input type="hidden" name="card" value="{cards["team"]}">' in html
    assert 'value="leistung" checked' in html, "the card's default area is preselected"
    assert "Set-Cookie" not in response.headers


def test_the_card_page_exists_in_every_language(client, cards):
    html = client.get(f"/en/k/{cards['empfang']}/").get_data(as_text=True)
    assert '<html lang="en"' in html
    assert f'href="/k/{cards["empfang"]}/"' in html, "the language switch keeps the card"


def test_a_retired_card_still_works_and_attributes(app, client, cards):
    assert client.get(f"/k/{cards['retired']}/").status_code == 200
    client.post("/submit", data={"rating": "4", "card": cards["retired"], "lang": "de"})
    [feedback] = stored_feedback(app)
    assert feedback.card.code == cards["retired"]
    assert feedback.channel is Channel.CARD_QR


def test_a_typed_code_in_lower_case_leads_to_the_card(client, cards):
    response = client.get(f"/k/{cards['empfang'].lower()}/")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/k/{cards['empfang']}/"


@pytest.mark.parametrize("code", ["ZZZZZ", "nope", "7QX2U"])
def test_an_unknown_card_gets_a_friendly_404_leading_to_the_form(client, cards, code):
    response = client.get(f"/k/{code}/")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Diese Meinungskarte kennen wir nicht" in html or "Diese Seite gibt es nicht" in html
    assert 'href="/feedback/"' in html


def test_the_whole_card_flow_from_qr_to_stored_feedback(app, client, cards):
    url = qr.card_url(app.config["PUBLIC_BASE_URL"], cards["empfang"])
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.png(url))))
    assert decoded.text == url
    path = decoded.text.removeprefix(app.config["PUBLIC_BASE_URL"])
    page = client.get(path).get_data(as_text=True)
    assert 'name="card"' in page
    response = client.post("/submit", data={"rating": "5", "card": cards["empfang"], "lang": "de"})
    assert response.status_code == 303
    [feedback] = stored_feedback(app)
    assert (feedback.card.code, feedback.location.code) == (cards["empfang"], "HST")


def test_qr_codes_are_small_and_robust():
    code = qr.qr_code(qr.card_url("https://meinungskarte.jobcenter-rhein-lahn.de", "7QX2M"))
    assert code.version <= 4
    assert code.error in {"M", "Q", "H"}
    svg = qr.svg("http://x.example/k/7QX2M/")
    assert svg.startswith("<svg") and 'viewBox="0 0 ' in svg and "<title>" in svg


def test_cli_locations_and_cards(app, runner, tmp_path):
    assert runner.invoke(args=["locations", "add", "hst", "Hauptstelle"]).exit_code == 0
    added = runner.invoke(
        args=[
            "cards",
            "add",
            "--location",
            "HST",
            "--label",
            "Empfang",
            "--count",
            "3",
            "--area",
            "organisation",
        ]
    )
    assert added.exit_code == 0, added.output
    new_codes = added.output.split()
    assert len(new_codes) == 3 and all(codes.normalize(c) == c for c in new_codes)

    listed = runner.invoke(args=["cards", "list"]).output
    for code in new_codes:
        assert f"{code}\tHST\tEmpfang\thttp://127.0.0.1:5000/k/{code}/" in listed
    assert "HST\tHauptstelle\t3 active cards" in runner.invoke(args=["locations", "list"]).output

    png = tmp_path / "card.png"
    result = runner.invoke(args=["cards", "qr", new_codes[0], "--format", "png", "--out", str(png)])
    assert result.exit_code == 0, result.output
    [decoded] = zxingcpp.read_barcodes(Image.open(png))
    assert decoded.text == f"http://127.0.0.1:5000/k/{new_codes[0]}/"
    svg = tmp_path / "card.svg"
    runner.invoke(args=["cards", "qr", new_codes[0], "--format", "svg", "--out", str(svg)])
    assert svg.read_text().startswith("<svg")

    retired = runner.invoke(args=["cards", "retire", new_codes[1]])
    assert retired.exit_code == 0
    assert new_codes[1] not in runner.invoke(args=["cards", "list"]).output
    assert "retired" in runner.invoke(args=["cards", "list", "--all"]).output


@pytest.mark.parametrize(
    "args",
    [
        ["cards", "add", "--location", "NOPE", "--label", "Empfang"],
        ["cards", "qr", "ZZZZZ", "--out", "x.svg"],
        ["cards", "retire", "ZZZZZ"],
        ["locations", "add", "HST", " "],
    ],
)
def test_cli_mistakes_get_one_clear_line_and_a_failure_code(runner, args):
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert result.output.startswith("Error: ")
    assert "Traceback" not in result.output


def test_listing_the_cards_of_an_unknown_location_says_so(runner):
    result = runner.invoke(args=["cards", "list", "--location", "XYZ"])
    assert result.exit_code != 0
    assert "There is no location XYZ." in result.output
