"""Rate limits: per client, over all clients, and keys that hold no IP address."""

from __future__ import annotations

import logging

import pytest
from conftest import base_config, require_binary, stored_feedback

from portal import create_app
from portal.extensions import db, limiter
from portal.ratelimit import _daily_salt, client_network
from tests import servers

pytestmark = pytest.mark.limiters


def limited_app(make_app, **overrides):
    return make_app(**{"RATELIMIT_ENABLED": True, "SUBMIT_LIMITS": "2 per minute", **overrides})


def post(client, text, address="198.51.100.7", **headers):
    return client.post(
        "/submit",
        data={"rating": "2", "text": text, "lang": "de"},
        environ_base={"REMOTE_ADDR": address},
        headers=headers,
    )


def test_over_the_limit_the_429_page_keeps_the_text_and_says_when(make_app):
    app = limited_app(make_app)
    client = app.test_client()
    assert post(client, "Erste").status_code == 303
    assert post(client, "Zweite").status_code == 303

    response = post(client, "Dritte Nachricht, bitte nicht verlieren")
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Dritte Nachricht, bitte nicht verlieren</textarea>" in page
    assert "Bitte versuchen Sie es in 1 Minute noch einmal." in page
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert 'value="2" checked' in page
    assert "Set-Cookie" not in response.headers
    assert [f.text for f in stored_feedback(app)] == ["Erste", "Zweite"]


def test_the_429_page_speaks_the_language_of_the_form(make_app):
    app = limited_app(make_app, SUBMIT_LIMITS="1 per minute")
    client = app.test_client()
    client.post("/submit", data={"rating": "2", "lang": "en"})
    response = client.post("/submit", data={"rating": "2", "text": "Again", "lang": "en"})
    assert response.status_code == 429
    assert '<html lang="en"' in response.get_data(as_text=True)


def test_corrections_after_a_validation_error_do_not_count(make_app):
    app = limited_app(make_app)
    client = app.test_client()
    for _ in range(4):
        refused = client.post("/submit", data={"rating": "7"}, environ_base={"REMOTE_ADDR": "x"})
        assert refused.status_code == 422
    assert post(client, "Jetzt richtig", address="x").status_code == 303


def test_clients_are_limited_separately(make_app):
    client = limited_app(make_app).test_client()
    for text in ("a", "b"):
        assert post(client, text, address="198.51.100.1").status_code == 303
    assert post(client, "c", address="198.51.100.1").status_code == 429
    assert post(client, "d", address="198.51.100.2").status_code == 303


def test_an_ipv6_client_is_limited_by_its_64_network(make_app):
    client = limited_app(make_app).test_client()
    assert post(client, "a", address="2001:db8:1:2::1").status_code == 303
    assert post(client, "b", address="2001:db8:1:2::ffff").status_code == 303
    assert post(client, "c", address="2001:db8:1:2:abcd::9").status_code == 429
    assert post(client, "d", address="2001:db8:1:3::1").status_code == 303


def test_the_global_limit_holds_over_all_clients(make_app):
    client = limited_app(make_app, SUBMIT_GLOBAL_LIMIT="3 per minute").test_client()
    for number in range(3):
        assert post(client, f"t{number}", address=f"198.51.100.{number}").status_code == 303
    assert post(client, "t9", address="198.51.100.99").status_code == 429


def test_the_limiter_storage_holds_no_ip_address(make_app):
    app = limited_app(make_app)
    client = app.test_client()
    post(client, "a", address="203.0.113.77")
    post(client, "b", address="2001:db8:feed:beef::1")

    keys = " ".join(limiter_keys())
    assert keys, "the limiter stored nothing: the test would prove nothing"
    for fragment in ("203.0.113.77", "203.0.113", "2001:db8", "feed:beef"):
        assert fragment not in keys


def limiter_keys() -> list[str]:
    """Every key in the limiter's storage: the memory storage's counter, or Redis' keys."""
    backend = limiter.storage.storage
    if isinstance(backend, dict):
        return [str(key) for key in backend]
    return [key.decode() for key in backend.keys("*")]


def test_the_salt_changes_daily_and_networks_are_normalised():
    assert _daily_salt("k", "2026-11-22") != _daily_salt("k", "2026-11-23")
    assert _daily_salt("k", "2026-11-22") != _daily_salt("other", "2026-11-22")
    assert client_network("2001:db8::1") == client_network("2001:db8::2") == "2001:db8::"
    assert client_network("::ffff:192.0.2.1") == "192.0.2.1"
    assert client_network("not an address") == "not an address"


def test_forwarded_for_is_only_trusted_behind_configured_proxies(make_app):
    direct = limited_app(make_app, SUBMIT_LIMITS="1 per minute").test_client()
    assert post(direct, "a", **{"X-Forwarded-For": "192.0.2.1"}).status_code == 303
    spoofed = post(direct, "b", **{"X-Forwarded-For": "192.0.2.2"})
    assert spoofed.status_code == 429, "a client must not escape its limit by inventing headers"

    proxied = limited_app(make_app, SUBMIT_LIMITS="1 per minute", PROXY_HOPS=1).test_client()
    assert post(proxied, "a", **{"X-Forwarded-For": "192.0.2.1"}).status_code == 303
    assert post(proxied, "b", **{"X-Forwarded-For": "192.0.2.2"}).status_code == 303
    assert post(proxied, "c", **{"X-Forwarded-For": "192.0.2.2"}).status_code == 429


def test_a_day_limit_names_the_time_to_come_back(make_app):
    client = limited_app(make_app, SUBMIT_LIMITS="1 per day").test_client()
    assert post(client, "a").status_code == 303
    response = post(client, "Noch eine Nachricht")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 3600
    assert "Bitte versuchen Sie es ab " in response.get_data(as_text=True)


def test_when_redis_goes_away_the_collector_keeps_accepting_and_logs_it(
    fresh_database, tmp_path, caplog
):
    require_binary(servers.redis_bin(), "Redis")
    with servers.redis(tmp_path / "redis") as url:
        app = create_app(
            base_config(
                fresh_database(),
                RATELIMIT_ENABLED=True,
                RATELIMIT_STORAGE_URI=url,
                SUBMIT_LIMITS="3 per minute",
            )
        )
        client = app.test_client()
        assert post(client, "Vorher").status_code == 303
        assert limiter_keys(), "Redis counted nothing: the test would prove nothing"

    with caplog.at_level(logging.WARNING, logger="flask-limiter"):
        assert post(client, "Während Redis fehlt").status_code == 303
    assert "Rate limit storage unreachable" in caplog.text
    assert "198.51.100.7" not in caplog.text
    # Each worker still limits in memory meanwhile: flooding is not the way through.
    assert [post(client, f"n{n}").status_code for n in range(3)] == [303, 303, 429]
    assert [f.text for f in stored_feedback(app)][:2] == ["Vorher", "Während Redis fehlt"]
    with app.app_context():
        db.engine.dispose()
