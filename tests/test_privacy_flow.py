"""Privacy end to end: no cookie, IP address, user agent or unmasked phone number anywhere."""

from __future__ import annotations

import logging
import sqlite3
import threading
import urllib.request
from pathlib import Path

from werkzeug.serving import make_server

from portal.extensions import db

ADDRESS = "203.0.113.77"
FORWARDED = "198.51.100.23"
AGENT = "Mozilla/5.0 (Fingerprint-Browser 99.1)"
SECRETS = (ADDRESS, FORWARDED, "Fingerprint-Browser", "23456789", "DE89370400440532013000")


def database_file(app) -> Path:
    with app.app_context():
        return Path(db.engine.url.database)


def test_nothing_identifying_reaches_the_database_or_the_logs(make_app, caplog):
    caplog.set_level(logging.DEBUG)
    app = make_app(RATELIMIT_ENABLED=True, PROXY_HOPS=1)
    client = app.test_client()
    response = client.post(
        "/submit",
        data={
            "rating": "1",
            "kind": "kritik",
            "text": "Rückruf bitte unter 0151 23456789, IBAN DE89 3704 0044 0532 0130 00.",
            "lang": "de",
        },
        environ_base={"REMOTE_ADDR": ADDRESS},
        headers={"User-Agent": AGENT, "X-Forwarded-For": FORWARDED},
    )
    assert response.status_code == 303
    assert "Set-Cookie" not in response.headers

    path = database_file(app)
    with sqlite3.connect(path) as connection:
        dump = "\n".join(connection.iterdump())
    assert "Rückruf bitte unter [Telefonnummer entfernt]" in dump, "the test must see the row"
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    for secret in SECRETS:
        assert secret not in dump
        assert secret.encode() not in raw
        assert secret not in caplog.text


def test_the_development_server_logs_no_client_address(app, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/feedback/") as response:
            assert response.status == 200
            assert response.headers.get("Set-Cookie") is None
    finally:
        server.shutdown()
        thread.join(5)
    assert "GET /feedback/" in caplog.text, "the request line itself is still logged"
    assert "127.0.0.1" not in caplog.text
