"""Protokoll: every change in the officer's words, filtered and paged, for the KRM role only."""

from __future__ import annotations

import re

import pytest
from conftest import csrf_token, login

from portal.audit import record
from portal.db import utcnow
from portal.extensions import db

pytestmark = pytest.mark.engines

PATH = "/admin/audit/"


def rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in body.split("<tr>")[1:]
    ]


def test_changes_from_the_admin_area_and_the_cli_are_listed_in_german(app, krm_client, runner):
    krm_client.post(
        "/admin/cards/locations",
        data={
            "csrf_token": csrf_token(krm_client, "/admin/cards/"),
            "location_code": "HST",
            "location_name": "Hauptstelle",
        },
    )
    assert (
        runner.invoke(
            args=["cards", "add", "--location", "HST", "--label", "Empfang", "--count", "2"]
        ).exit_code
        == 0
    )

    listed = rows(krm_client.get(PATH).get_data(as_text=True))
    assert listed[0].startswith(tuple("0123456789"))
    assert "krm (CLI) Karten angelegt Dienststelle HST" in listed[0]
    assert "Kontaktpunkt: Empfang" in listed[0] and "Codes: " in listed[0]
    assert "krm Dienststelle angelegt Dienststelle HST Name: Hauptstelle" in listed[1]
    assert any("krm angemeldet" in row for row in listed)
    assert any(
        "Konto angelegt Konto lead3" in row and "Rolle: Teamleitung" in row for row in listed
    )


def test_sections_and_the_actor_filter(app, krm_client):
    html = krm_client.get(PATH, query_string={"section": "sign-in"}).get_data(as_text=True)
    assert all("angemeldet" in row for row in rows(html)) and rows(html)
    html = krm_client.get(PATH, query_string={"section": "accounts"}).get_data(as_text=True)
    assert {row.split(" ", 3)[3].split(" ")[0] for row in rows(html)} <= {"Konto", "Team"}
    html = krm_client.get(PATH, query_string={"actor": "KRM"}).get_data(as_text=True)
    assert rows(html) and all(" krm " in f" {row} " for row in rows(html))
    html = krm_client.get(PATH, query_string={"actor": "niemand"}).get_data(as_text=True)
    assert "Keine Ereignisse zu diesem Filter." in html


def test_paging_goes_back_in_time_without_gaps(app, krm_client):
    with app.app_context():
        for number in range(120):
            record(
                db.session,
                at=utcnow(),
                actor="test",
                action="topic added",
                subject=f"topic:T{number}",
            )
        db.session.commit()
    seen, path = [], PATH + "?section=topics"
    while path:
        html = krm_client.get(path).get_data(as_text=True)
        seen += [re.search(r"Thema (T\d+)", row).group(1) for row in rows(html) if "Thema T" in row]
        more = re.search(r'href="([^"]+)">Ältere Ereignisse', html)
        path = more.group(1).replace("&amp;", "&") if more else None
    assert seen == [f"T{number}" for number in reversed(range(120))]


def test_only_the_officer_reads_the_log(app, accounts):
    for name in ("lead3", "reader"):
        client = app.test_client()
        login(client, name)
        assert client.get(PATH).status_code == 403
