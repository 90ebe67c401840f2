"""Dienststellen und Karten in the admin area: forms, retiring, QR codes and print sheets."""

from __future__ import annotations

import io
import re

import pypdfium2 as pdfium
import pytest
import zxingcpp
from conftest import csrf_token, login
from PIL import Image, ImageDraw
from sqlalchemy import select

from cards import qr
from cards.models import Card, Location
from cards.services import add_cards, add_location, retire_card
from portal.audit import AuditEvent
from portal.db import utcnow
from portal.extensions import db
from portal.vocab import Area

PATH = "/admin/cards/"
BASE_URL = "http://127.0.0.1:5000"


@pytest.fixture
def hst(app):
    """HST with two active cards and a retired one; returns the codes."""
    with app.app_context():
        add_location(db.session, "HST", "Hauptstelle Musterstadt")
        active = add_cards(db.session, "HST", "Empfang", count=2)
        [old] = add_cards(db.session, "HST", "Alter Flyer")
        retire_card(db.session, old.code, now=utcnow())
        db.session.commit()
        return {"active": [card.code for card in active], "retired": old.code}


def post(client, path: str, **fields):
    return client.post(path, data={"csrf_token": csrf_token(client, PATH), **fields})


def cards_of(app, location: str) -> list[Card]:
    with app.app_context():
        query = select(Card).join(Card.location).where(Location.code == location)
        return list(db.session.scalars(query.order_by(Card.id)))


def audit(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def decode(image: Image.Image) -> set[str]:
    return {result.text for result in zxingcpp.read_barcodes(image)}


def rasterise_svg(svg: str, scale: int = 8) -> Image.Image:
    """Draw segno's SVG (one path of horizontal strokes: M, m and h) as a bitmap."""
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    x = y = 0.0
    path = re.search(r' d="([^"]+)"', svg).group(1)
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            top = (y - 0.5) * scale
            draw.rectangle([x * scale, top, (x + float(a)) * scale - 1, top + scale - 1], fill=0)
            x += float(a)
    return image


def test_the_page_lists_locations_and_their_cards(krm_client, hst):
    html = krm_client.get(PATH).get_data(as_text=True)
    assert "HST – Hauptstelle Musterstadt" in html
    for code in [*hst["active"], hst["retired"]]:
        assert f'href="{BASE_URL}/k/{code}/"' in html
        assert f'href="/admin/cards/{code}/qr.svg"' in html
    assert "2 aktive Karten, 1 stillgelegt" in html
    assert f'href="/admin/cards/{hst["active"][0]}/retire"' in html
    assert f'href="/admin/cards/{hst["retired"]}/retire"' not in html


def test_a_location_is_added_through_the_form(app, krm_client):
    response = post(
        krm_client,
        "/admin/cards/locations",
        location_code=" bad ",
        location_name="Außenstelle  Bad Ems",
    )
    assert response.status_code == 303
    page = krm_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Dienststelle BAD (Außenstelle Bad Ems) angelegt." in page
    assert "BAD – Außenstelle Bad Ems" in page
    [event] = audit(app, "location added")
    assert (event.actor, event.subject) == ("krm", "location:BAD")


def test_a_location_code_twice_or_badly_formed_is_refused_with_the_input_kept(app, krm_client, hst):
    response = post(
        krm_client,
        "/admin/cards/locations",
        location_code="hst",
        location_name="Noch eine Hauptstelle",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Eine Dienststelle mit dem Kürzel HST gibt es schon." in html
    assert 'value="Noch eine Hauptstelle"' in html
    assert 'href="#location_code"' in html

    response = post(krm_client, "/admin/cards/locations", location_code="H S/T", location_name="")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "nur Buchstaben A–Z, Ziffern und Bindestriche" in html
    assert "Bitte geben Sie den Namen der Dienststelle ein." in html
    assert 'value="H S/T"' in html
    assert audit(app, "location added") == []


def test_cards_are_added_through_the_form_and_their_new_codes_shown(app, krm_client, hst):
    response = post(
        krm_client,
        "/admin/cards/add",
        card_location="HST",
        card_label="Leistungsbereich Team 3",
        card_count="3",
        card_area="leistung",
    )
    assert response.status_code == 303
    new = [card for card in cards_of(app, "HST") if card.label == "Leistungsbereich Team 3"]
    assert len(new) == 3 and {card.default_area for card in new} == {Area.BENEFITS}
    codes = sorted(card.code for card in new)
    assert response.headers["Location"].startswith(f"/admin/cards/?neu={','.join(codes)}")

    page = krm_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 neue Karten für HST „Leistungsbereich Team 3“ angelegt." in page
    panel = page[page.index('id="neue-karten"') : page.index("</section>")]
    assert re.findall(r'<strong class="code">(\w+)</strong>', panel) == codes
    assert "card=" + "&amp;card=".join(codes) in panel, "the new cards alone can be printed"

    [event] = audit(app, "cards added")
    assert event.subject == "location:HST"
    assert event.details["codes"] == codes


@pytest.mark.parametrize(
    ("count", "message"),
    [
        ("0", "Bitte eine Anzahl von 1 bis 100."),
        ("101", "Bitte eine Anzahl von 1 bis 100."),
        ("drei", "Keine gültige, ganze Zahl."),
    ],
)
def test_a_wrong_number_of_cards_is_refused_with_the_input_kept(
    app, krm_client, hst, count, message
):
    response = post(
        krm_client,
        "/admin/cards/add",
        card_location="HST",
        card_label="Empfang 2",
        card_count=count,
        card_area="kommunal",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert 'value="Empfang 2"' in html and f'value="{count}"' in html
    assert re.search(r'<option selected value="kommunal">', html)
    assert len(cards_of(app, "HST")) == 3


def test_cards_need_a_location_and_a_label(app, krm_client, hst):
    response = post(
        krm_client, "/admin/cards/add", card_location="", card_label=" ", card_count="1"
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Bitte wählen Sie die Dienststelle." in html
    assert "Bitte geben Sie an, wo die Karten ausliegen" in html


def test_a_card_is_retired_after_a_confirmation(app, krm_client, hst):
    code = hst["active"][0]
    confirm = krm_client.get(f"/admin/cards/{code.lower()}/retire")
    assert confirm.status_code == 200
    html = confirm.get_data(as_text=True)
    assert f"Karte {code} stilllegen?" in html
    assert "funktionieren weiter" in html
    assert cards_of(app, "HST")[0].retired_at is None, "looking is not retiring"

    response = post(krm_client, f"/admin/cards/{code}/retire")
    assert response.status_code == 303
    assert cards_of(app, "HST")[0].retired_at is not None
    [event] = audit(app, "card retired")
    assert (event.subject, event.actor) == (f"card:{code}", "krm")
    page = krm_client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Karte {code} ist stillgelegt." in page
    assert "1 aktive Karte, 2 stillgelegt" in page


def test_an_unknown_card_cannot_be_retired(krm_client, hst):
    assert krm_client.get("/admin/cards/ZZZZZ/retire").status_code == 404
    assert post(krm_client, "/admin/cards/ZZZZZ/retire").status_code == 404


def test_qr_codes_download_as_svg_and_png_and_decode_to_the_card(krm_client, hst):
    code = hst["active"][0]
    url = qr.card_url(BASE_URL, code)

    png = krm_client.get(f"/admin/cards/{code}/qr.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert png.headers["Content-Disposition"] == f'attachment; filename="meinungskarte-{code}.png"'
    assert decode(Image.open(io.BytesIO(png.data))) == {url}

    svg = krm_client.get(f"/admin/cards/{code.lower()}/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.headers["Content-Disposition"] == f'attachment; filename="meinungskarte-{code}.svg"'
    assert decode(rasterise_svg(svg.get_data(as_text=True))) == {url}

    assert krm_client.get("/admin/cards/ZZZZZ/qr.png").status_code == 404


def test_the_pdf_sheet_of_a_location_holds_its_active_cards(krm_client, hst):
    response = krm_client.get("/admin/cards/sheet.pdf?location=hst&size=A6")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition == 'attachment; filename="meinungskarten-HST-A6.pdf"'
    document = pdfium.PdfDocument(response.data)
    try:
        assert len(document) == 1
        page = document[0]
        assert page.get_width() < page.get_height(), "A6 cards on A4 portrait"
        found = decode(page.render(scale=300 / 72).to_pil())
    finally:
        document.close()
    assert found == {qr.card_url(BASE_URL, code) for code in hst["active"]}


def test_the_html_sheet_and_sheets_of_chosen_cards(krm_client, hst):
    first, second = hst["active"]
    response = krm_client.get(f"/admin/cards/sheet.html?card={first}&size=a5")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    html = response.get_data(as_text=True)
    assert first in html and second not in html and hst["retired"] not in html
    assert "A4 landscape" in html


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("location=XYZ", 404, "Die Dienststelle XYZ gibt es nicht."),
        ("location=HST&size=B5", 400, "Die Kartengröße „B5“ gibt es nicht"),
    ],
)
def test_a_sheet_that_cannot_be_made_says_why(krm_client, hst, query, status, message):
    response = krm_client.get(f"/admin/cards/sheet.pdf?{query}")
    assert response.status_code == status
    assert message in response.get_data(as_text=True)


def test_a_sheet_in_a_second_language_from_the_cards_page(krm_client, hst):
    page = krm_client.get(PATH).get_data(as_text=True)
    assert '<select class="select select--short" id="language-HST" name="language">' in page
    assert '<option value="ar" lang="ar">العربية (ar)</option>' in page

    response = krm_client.get("/admin/cards/sheet.html?location=HST&language=uk")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition == 'attachment; filename="meinungskarten-HST-A6-de-uk.html"'
    html = response.get_data(as_text=True)
    assert '<span class="second" lang="uk" dir="ltr">Ваша думка важлива</span>' in html
    assert "Ihre Meinung zählt" in html

    response = krm_client.get("/admin/cards/sheet.html?location=HST&language=xx")
    assert response.status_code == 400
    assert "Die Sprache „xx“ gibt es nicht" in response.get_data(as_text=True)


def test_a_location_without_active_cards_has_no_sheet(app, krm_client):
    with app.app_context():
        add_location(db.session, "LEER", "Ohne Karten")
        db.session.commit()
    response = krm_client.get("/admin/cards/sheet.pdf?location=LEER")
    assert response.status_code == 404
    assert "Es gibt keine aktiven Karten zum Drucken." in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["team", "read"])
def test_only_the_krm_officer_manages_cards(app, accounts, hst, role):
    client = app.test_client()
    assert login(client, accounts[role]).status_code == 303
    code = hst["active"][0]
    for path in (PATH, f"/admin/cards/{code}/qr.png", "/admin/cards/sheet.pdf?location=HST"):
        assert client.get(path).status_code == 403, path
    token = csrf_token(client, "/admin/login")
    response = client.post(
        "/admin/cards/locations",
        data={"csrf_token": token, "location_code": "NEU", "location_name": "Neu"},
    )
    assert response.status_code == 403
    assert client.post(f"/admin/cards/{code}/retire", data={"csrf_token": token}).status_code == 403
    assert cards_of(app, "HST")[0].retired_at is None


def test_without_csrf_token_nothing_changes(app, krm_client, hst):
    code = hst["active"][0]
    requests = [
        ("/admin/cards/locations", {"location_code": "NEU", "location_name": "Neu"}),
        ("/admin/cards/add", {"card_location": "HST", "card_label": "X", "card_count": "1"}),
        (f"/admin/cards/{code}/retire", {}),
    ]
    for path, data in requests:
        assert krm_client.post(path, data=data).status_code == 400, path
    assert len(cards_of(app, "HST")) == 3
    assert cards_of(app, "HST")[0].retired_at is None
    assert cards_of(app, "NEU") == []
