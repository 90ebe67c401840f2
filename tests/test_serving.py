"""Serving as in production: gunicorn with gunicorn.conf.py, limits shared through Redis."""

from __future__ import annotations

import contextlib
import http.client
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

from conftest import require_binary, stored_feedback

from portal import ROOT, create_app
from tests import servers

SECRET = "a-shared-secret-of-the-two-collectors-0123456789"


@contextlib.contextmanager
def gunicorn(log: Path, **settings: str) -> Iterator[int]:
    """``gunicorn 'portal:create_app()'`` in the checkout with one worker; yields its port."""
    port = servers.free_port()
    env = {**os.environ, **{f"KRM_{name}": value for name, value in settings.items()}}
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "portal:create_app()"], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    try:
        servers.wait_for_port(port, process, timeout=60)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def request(port: int, method: str, path: str, form: dict | None = None, **headers: str):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = urlencode(form) if form is not None else None
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def submit(port: int, text: str, client: str):
    form = {"rating": "2", "text": text, "lang": "de"}
    return request(port, "POST", "/submit", form, **{"X-Forwarded-For": client}).status


def test_gunicorn_serves_the_app_with_a_log_that_holds_no_client_address(fresh_database, tmp_path):
    log = tmp_path / "gunicorn.log"
    settings = {"ENV": "production", "SECRET_KEY": SECRET, "DATABASE_URL": fresh_database()}
    with gunicorn(log, **settings) as port:
        health = request(port, "GET", "/healthz")
        assert health.status == 200
        assert request(port, "GET", "/admin/?q=M%C3%BCller").status in (302, 303)

    lines = log.read_text().splitlines()
    [access] = [line for line in lines if '"GET /healthz"' in line]
    assert " 200 " in access
    assert not [line for line in lines if "127.0.0.1 " in line and "Listening" not in line]
    assert not [line for line in lines if "q=" in line or "Müller" in line or "M%C3" in line]


def test_two_collectors_share_one_redis_and_a_clients_limit_holds_across_them(
    fresh_database, tmp_path
):
    require_binary(servers.redis_bin(), "Redis")
    database = fresh_database()
    log_a, log_b = tmp_path / "a.log", tmp_path / "b.log"
    with contextlib.ExitStack() as collectors:
        with servers.redis(tmp_path / "redis") as redis_url:
            settings = {
                "SECRET_KEY": SECRET,
                "DATABASE_URL": database,
                "RATELIMIT_STORAGE_URI": redis_url,
                "SUBMIT_LIMITS": "2 per minute",
                "PROXY_HOPS": "1",
            }
            a = collectors.enter_context(gunicorn(log_a, **settings))
            b = collectors.enter_context(gunicorn(log_b, **settings))
            assert submit(a, "Erste über A", client="198.51.100.7") == 303
            assert submit(b, "Zweite über B", client="198.51.100.7") == 303
            assert submit(a, "Dritte über A", client="198.51.100.7") == 429
            assert submit(b, "Dritte über B", client="198.51.100.7") == 429
            assert submit(b, "Jemand anderes", client="198.51.100.8") == 303

        # Redis has gone away; the collectors keep accepting (each limits in memory) and say so.
        assert submit(b, "Während Redis fehlt", client="198.51.100.7") == 303

    assert "Rate limit storage unreachable" in log_b.read_text()
    assert "198.51.100" not in log_a.read_text() + log_b.read_text()
    app = create_app({"DATABASE_URL": database, "SECRET_KEY": SECRET})
    texts = [feedback.text for feedback in stored_feedback(app)]
    assert texts == ["Erste über A", "Zweite über B", "Jemand anderes", "Während Redis fehlt"]
