"""The admin area's doors: roles walked over the URL map, sign-in, throttling, sessions, CSRF."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import PASSWORD, csrf_token, limiter_keys, login
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from admin.access import ANYONE, declared_roles, enforce_access
from admin.accounts.devices import COOKIE as DEVICE_COOKIE
from portal import create_app
from portal.audit import AuditEvent
from portal.db import utcnow
from portal.extensions import db
from portal.vocab import Role

SAMPLE_VALUES = {
    "id": 1,
    "code": "7QX2M",
    "filename": "x",
    "year": 2025,
    "kind": "eingangsbestaetigung",
    "lang": "de",
}


def admin_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("admin.")]


def sample_url(app, rule) -> str:
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{name: SAMPLE_VALUES[name] for name in rule.arguments})


def test_every_admin_route_declares_its_roles(app):
    rules = admin_rules(app)
    assert len(rules) >= 6
    for rule in rules:
        with app.test_request_context():
            assert declared_roles(rule.endpoint), f"{rule.endpoint} declares no roles"


def test_every_admin_page_sends_strangers_to_the_login(app):
    client = app.test_client()
    for rule in admin_rules(app):
        if "GET" not in rule.methods:
            continue
        response = client.get(sample_url(app, rule))
        if ANYONE in declared_roles_of(app, rule):
            assert response.status_code == 200, rule.endpoint
        else:
            assert response.status_code == 302, rule.endpoint
            assert response.headers["Location"].startswith("/admin/login?next="), rule.endpoint


@pytest.mark.parametrize("role", [Role.KRM, Role.TEAM, Role.READ])
def test_every_admin_page_admits_exactly_its_roles(app, accounts, role):
    client = app.test_client()
    assert login(client, accounts[role.value]).status_code == 303
    for rule in admin_rules(app):
        if "GET" not in rule.methods:
            continue
        roles = declared_roles_of(app, rule)
        response = client.get(sample_url(app, rule))
        if ANYONE in roles or role in roles:
            assert response.status_code in {200, 302, 303, 404}, rule.endpoint
        else:
            assert response.status_code == 403, rule.endpoint
            assert "Dafür fehlt Ihnen die Berechtigung." in response.get_data(as_text=True)


def declared_roles_of(app, rule):
    with app.test_request_context():
        return declared_roles(rule.endpoint)


def test_a_view_that_forgets_its_roles_is_refused(app):
    app.add_url_rule("/admin/forgotten", "admin.forgotten", lambda: "secret")
    with app.test_request_context("/admin/forgotten"), pytest.raises(Forbidden):
        enforce_access()


def test_sign_in_lands_where_the_role_works(app, accounts):
    for name, landing in (("krm", "/admin/"), ("lead3", "/admin/"), ("reader", "/admin/reports/")):
        response = login(app.test_client(), name)
        assert response.status_code == 303
        assert response.headers["Location"] == landing


def test_a_wrong_password_is_refused_and_the_name_kept(app, accounts):
    response = login(app.test_client(), "krm", "wrong password!!")
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "Name oder Passwort ist falsch." in page
    assert 'value="krm"' in page
    assert "wrong password" not in page
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "sign-in failed" in actions


def test_next_leads_only_inside_the_admin_area(app, accounts):
    for target, expected in (
        ("//evil.example/x", "/admin/"),
        ("https://evil.example/", "/admin/"),
        ("/admin/reports/", "/admin/reports/"),
    ):
        client = app.test_client()
        page = client.get("/admin/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post(
            f"/admin/login?next={target}",
            data={"name": "krm", "password": PASSWORD, "csrf_token": token},
        )
        assert response.headers["Location"] == expected


def throttled_app(make_app, **limits):
    """An app with low login limits and two accounts, krm and reader (both PASSWORD)."""
    limits = {
        "LOGIN_LIMITS": "3 per 10 minutes",
        "LOGIN_ACCOUNT_LIMITS": "3 per 10 minutes",
        "LOGIN_DEVICE_LIMITS": "2 per 10 minutes",
        **limits,
    }
    app = make_app(RATELIMIT_ENABLED=True, PROXY_HOPS=1, **limits)
    from admin.accounts.service import add_user

    with app.app_context():
        add_user(db.session, "krm", PASSWORD, Role.KRM, actor="t", now=utcnow())
        add_user(db.session, "reader", PASSWORD, Role.READ, actor="t", now=utcnow())
        db.session.commit()
    return app


def attempt(client, name, password, address):
    """Sign in from a client at an address (behind one proxy, as in production)."""
    client.environ_base["HTTP_X_FORWARDED_FOR"] = address
    return login(client, name, password)


def device_cookie(client):
    """The device cookie a client holds for the login page, or None."""
    return client.get_cookie(DEVICE_COOKIE, path="/admin/login")


def trusted_browser(app, name="krm", address="192.0.2.10"):
    """A browser that signed in successfully before and signed out: it holds a device cookie."""
    client = app.test_client()
    assert attempt(client, name, PASSWORD, address).status_code == 303
    assert device_cookie(client) is not None, "a successful sign-in gives a device cookie"
    assert client.post("/admin/logout", data={"csrf_token": csrf_token(client)}).status_code == 303
    return client


def exhaust_unknown_browsers(app, name="krm", attempts=3):
    """A stranger tries wrong passwords for the account, each from another address."""
    for number in range(attempts):
        response = attempt(app.test_client(), name, "wrong password!!", f"198.51.100.{number}")
        assert response.status_code == 401
    refused = attempt(app.test_client(), name, PASSWORD, "198.51.100.200")
    assert refused.status_code == 429, "unknown browsers share the account's limit"
    assert "für diesen Namen von unbekannten Geräten" in refused.get_data(as_text=True)


def wait_minutes(page: str) -> int:
    found = re.search(r"Bitte versuchen Sie es in (\d+) Minuten? erneut\.", page)
    assert found, "the page says how long to wait"
    return int(found.group(1))


@pytest.mark.limiters
def test_an_attacker_from_one_address_is_throttled_and_told_how_long(make_app):
    app = throttled_app(make_app, LOGIN_ACCOUNT_LIMITS="100 per 10 minutes")
    client = app.test_client()
    for number in range(3):
        assert (
            attempt(client, f"name{number}", "wrong password!!", "203.0.113.9").status_code == 401
        )
    response = attempt(client, "krm", PASSWORD, "203.0.113.9")
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Zu viele Anmeldeversuche von diesem Gerät." in page
    assert 1 <= wait_minutes(page) <= 10
    assert 0 < int(response.headers["Retry-After"]) <= 600
    assert 'value="krm"' in page, "the typed name is kept"
    assert PASSWORD not in page
    assert client.get("/admin/").status_code == 302, "not signed in"
    other = attempt(app.test_client(), "krm", PASSWORD, "203.0.113.10")
    assert other.status_code == 303, "another address is not throttled"


@pytest.mark.limiters
def test_attackers_from_many_addresses_do_not_lock_out_the_officers_browser(make_app):
    app = throttled_app(make_app)
    officer = trusted_browser(app)
    exhaust_unknown_browsers(app)

    typo = attempt(officer, "krm", "wrong password!!", "192.0.2.10")
    assert typo.status_code == 401, "the officer's browser is judged on its own attempts"
    assert attempt(officer, "krm", PASSWORD, "192.0.2.10").status_code == 303
    assert officer.get("/admin/").status_code == 200
    unknown = attempt(app.test_client(), "krm", PASSWORD, "192.0.2.99")
    assert unknown.status_code == 429, "unknown browsers stay throttled"

    keys = " ".join(limiter_keys())
    assert keys, "the limiter stored nothing: the test would prove nothing"
    for fragment in ("198.51.100", "192.0.2", "krm", device_cookie(officer).value):
        assert fragment not in keys


@pytest.mark.limiters
def test_a_stolen_device_cookie_alone_does_not_skip_the_password(make_app):
    app = throttled_app(make_app)
    officer = trusted_browser(app)
    thief = app.test_client()
    thief.set_cookie(DEVICE_COOKIE, device_cookie(officer).value, path="/admin/login")
    for number in range(2):
        response = attempt(thief, "krm", "wrong password!!", f"203.0.113.{number}")
        assert response.status_code == 401
        assert thief.get("/admin/").status_code == 302
    throttled = attempt(thief, "krm", "wrong password!!", "203.0.113.50")
    assert throttled.status_code == 429, "the device's own counter throttles it"
    assert "Zu viele Anmeldeversuche von diesem Gerät." in throttled.get_data(as_text=True)
    assert attempt(thief, "krm", PASSWORD, "203.0.113.51").status_code == 429
    assert thief.get("/admin/").status_code == 302
    stranger = attempt(app.test_client(), "krm", PASSWORD, "203.0.113.52")
    assert stranger.status_code == 303, "the device's failures are its own"


@pytest.mark.limiters
def test_a_device_cookie_is_bound_to_its_account(make_app):
    app = throttled_app(make_app)
    reader = trusted_browser(app, "reader")
    exhaust_unknown_browsers(app, "krm")
    response = attempt(reader, "krm", PASSWORD, "192.0.2.10")
    assert response.status_code == 429, "a cookie of account A is no cookie for account B"
    assert attempt(reader, "reader", PASSWORD, "192.0.2.10").status_code == 303


@pytest.mark.limiters
def test_a_tampered_device_cookie_counts_as_unknown(make_app):
    app = throttled_app(make_app)
    officer = trusted_browser(app)
    exhaust_unknown_browsers(app)
    value = device_cookie(officer).value
    payload, _, signature = value.partition(".")
    other = "A" if payload[1] != "A" else "B"
    tampered = f"{payload[0]}{other}{payload[2:]}.{signature}"
    for forged in (tampered, value[:-2], "x" + value, ""):
        client = app.test_client()
        client.set_cookie(DEVICE_COOKIE, forged, path="/admin/login")
        assert attempt(client, "krm", PASSWORD, "192.0.2.10").status_code == 429, forged


@pytest.mark.limiters
@pytest.mark.parametrize(
    ("commands", "password"),
    [
        ([["users", "reset", "krm"]], "a new long password"),
        ([["users", "deactivate", "krm"], ["users", "activate", "krm"]], PASSWORD),
    ],
)
def test_a_password_reset_or_deactivation_voids_the_device_cookies(make_app, commands, password):
    app = throttled_app(make_app)
    officer = trusted_browser(app)
    for command in commands:
        result = app.test_cli_runner().invoke(args=command, input=f"{password}\n")
        assert result.exit_code == 0, result.output
    exhaust_unknown_browsers(app)
    assert attempt(officer, "krm", password, "192.0.2.10").status_code == 429


def test_the_device_cookie_is_httponly_strict_and_only_for_the_login(app, accounts):
    response = login(app.test_client(), "krm")
    cookie = set_cookie(response, DEVICE_COOKIE)
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Path=/admin/login" in cookie
    assert "Secure" not in cookie  # development runs on plain http
    assert "krm" not in cookie.partition(";")[0].partition("=")[2], "no name in clear"
    refused = login(app.test_client(), "krm", "wrong password!!")
    assert DEVICE_COOKIE not in " ".join(refused.headers.getlist("Set-Cookie"))


def set_cookie(response, name: str) -> str:
    """The Set-Cookie header of one cookie."""
    found = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]
    assert found, f"no {name} cookie set"
    return found[0]


def test_a_successful_sign_in_does_not_count_against_the_limits(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_ACCOUNT_LIMITS="2 per minute")
    from admin.accounts.service import add_user

    with app.app_context():
        add_user(db.session, "krm", PASSWORD, Role.KRM, actor="t", now=utcnow())
        db.session.commit()
    for _ in range(4):
        assert login(app.test_client(), "krm").status_code == 303


def test_the_session_cookie_is_httponly_and_samesite(app, accounts):
    cookie = set_cookie(login(app.test_client(), "krm"), "krm_session")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development runs on plain http


def test_production_cookies_are_secure(monkeypatch, tmp_path, migrated_database):
    import shutil

    database = tmp_path / "prod.sqlite3"
    shutil.copy(migrated_database, database)
    monkeypatch.setenv("KRM_ENV", "production")
    app = create_app(
        {"SECRET_KEY": "p" * 40, "DATABASE_URL": f"sqlite:///{database}", "TESTING": True}
    )
    from admin.accounts.service import add_user

    with app.app_context():
        add_user(db.session, "krm", PASSWORD, Role.KRM, actor="t", now=utcnow())
        db.session.commit()
    response = login(app.test_client(), "krm")
    assert "Secure" in set_cookie(response, "krm_session")
    assert "Secure" in set_cookie(response, DEVICE_COOKIE)


def test_sign_out_ends_the_session(krm_client):
    token = csrf_token(krm_client)
    response = krm_client.post("/admin/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert krm_client.get("/admin/").status_code == 302


def test_sign_out_without_csrf_token_is_refused(krm_client):
    response = krm_client.post("/admin/logout", data={"note": "Mein langer Text"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Das Formular ist abgelaufen" in page
    assert "Mein langer Text" in page, "what was typed is shown so it can be copied"
    assert krm_client.get("/admin/").status_code == 200


def test_a_refused_login_form_never_echoes_the_password(app, accounts):
    response = app.test_client().post(
        "/admin/login", data={"name": "krm", "password": "geheimes-passwort"}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "krm" in page and "geheimes-passwort" not in page


@pytest.mark.parametrize(
    ("key", "age"),
    [("seen_at", timedelta(minutes=61)), ("signed_in_at", timedelta(hours=11))],
)
def test_sessions_expire_when_idle_and_after_a_working_day(krm_client, key, age):
    with krm_client.session_transaction() as session:
        session[key] = (utcnow() - age).isoformat()
    assert krm_client.get("/admin/").status_code == 302


def test_deactivation_and_password_reset_end_open_sessions(app, accounts):
    client = app.test_client()
    login(client, "lead3")
    runner = app.test_cli_runner()
    assert (
        runner.invoke(args=["users", "reset", "lead3"], input="a new long password\n").exit_code
        == 0
    )
    assert client.get("/admin/").status_code == 302
    assert login(client, "lead3", "a new long password").status_code == 303
    assert runner.invoke(args=["users", "deactivate", "lead3"]).exit_code == 0
    assert client.get("/admin/").status_code == 302
    assert login(client, "lead3", "a new long password").status_code == 401


def test_users_cli(app, accounts):
    runner = app.test_cli_runner()
    added = runner.invoke(
        args=["users", "add", "anna", "--role", "team", "--team", "Team 5"],
        input="ein sehr langes passwort\n",
    )
    assert added.exit_code == 0, added.output
    listed = runner.invoke(args=["users", "list"]).output
    assert re.search(r"anna\tteam\tTeam 5\tactive\tlast sign-in never", listed)
    assert login(app.test_client(), "anna", "ein sehr langes passwort").status_code == 303

    for args, text, message in (
        (["users", "add", "bob", "--role", "krm"], "kurz\n", "at least 12 characters"),
        (["users", "add", "anna", "--role", "krm"], "ein sehr langes passwort\n", "exists"),
        (["users", "add", "carl", "--role", "team"], "ein sehr langes passwort\n", "needs a team"),
        (["users", "reset", "nobody"], "ein sehr langes passwort\n", "no user"),
    ):
        result = runner.invoke(args=args, input=text)
        assert result.exit_code != 0 and message in result.output, result.output

    with app.app_context():
        events = db.session.scalars(select(AuditEvent.action)).all()
    assert "user added" in events


def test_teams_cli(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["teams", "add", "Arbeitsvermittlung"]).exit_code == 0
    assert "Arbeitsvermittlung" in runner.invoke(args=["teams", "list"]).output
    assert runner.invoke(args=["teams", "add", "Arbeitsvermittlung"]).exit_code != 0
