"""The admin area's doors: roles walked over the URL map, sign-in, throttling, sessions, CSRF."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import PASSWORD, csrf_token, login
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from admin.access import ANYONE, declared_roles, enforce_access
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


def test_logins_are_throttled_per_account_and_per_client(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True, LOGIN_ACCOUNT_LIMITS="3 per minute", LOGIN_LIMITS="5 per minute"
    )
    from admin.accounts.service import add_user

    with app.app_context():
        add_user(db.session, "krm", PASSWORD, Role.KRM, actor="t", now=utcnow())
        db.session.commit()

    def attempt(password, address, name="krm"):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        return login(client, name, password)

    for number in range(3):
        assert attempt("wrong password!!", f"198.51.100.{number}").status_code == 401
    locked = attempt(PASSWORD, "198.51.100.50")
    assert locked.status_code == 429, "the account is locked for a while, whatever the address"
    assert "Zu viele Versuche" in locked.get_data(as_text=True)

    for number in range(5):
        assert attempt("wrong password!!", "203.0.113.9", name=f"nobody{number}").status_code == 401
    assert attempt("wrong password!!", "203.0.113.9", name="someone").status_code == 429


def test_a_successful_sign_in_does_not_count_against_the_limits(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_ACCOUNT_LIMITS="2 per minute")
    from admin.accounts.service import add_user

    with app.app_context():
        add_user(db.session, "krm", PASSWORD, Role.KRM, actor="t", now=utcnow())
        db.session.commit()
    for _ in range(4):
        assert login(app.test_client(), "krm").status_code == 303


def test_the_session_cookie_is_httponly_and_samesite(app, accounts):
    cookie = login(app.test_client(), "krm").headers["Set-Cookie"]
    assert cookie.startswith("krm_session=")
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
    assert "Secure" in login(app.test_client(), "krm").headers["Set-Cookie"]


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
