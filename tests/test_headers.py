"""Security headers on every route of the app, public and admin, errors and redirects included."""

from __future__ import annotations

import re
from datetime import date

import pytest
from conftest import csrf_token, load_demo_site

from admin.demo import DEMO_PASSWORD
from portal.i18n import DEFAULT_LANGUAGE, LANGUAGES

INLINE = re.compile(r"<script|<style|<[a-z][^>]*\s(?:style|on[a-z]+)\s*=", re.IGNORECASE)


def check_headers(response, path: str, *, secure: bool = False, stored: bool = True) -> None:
    """Every security header; ``stored=False`` for public answers that carry what was typed."""
    where = f"{response.request.method} {path} ({response.status_code})"
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    directives = {}
    for part in filter(None, (part.strip() for part in policy.split(";"))):
        name, _, value = part.partition(" ")
        directives[name] = value
    assert directives.get("default-src") == "'none'", where
    assert directives.get("style-src") == "'self'", where
    assert directives.get("frame-ancestors") == "'none'", where
    assert directives.get("base-uri") == "'none'", where
    assert "script-src" not in directives, where  # falls back to default-src 'none'
    assert "unsafe" not in policy, where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    admin = path == "/admin" or path.startswith("/admin/")
    assert headers.get("Referrer-Policy") == ("same-origin" if admin else "no-referrer"), where
    assert (headers.get("Cache-Control") == "no-store") is (admin or not stored), where
    permissions = headers.get("Permissions-Policy", "")
    for feature in ("camera", "microphone", "geolocation", "payment"):
        assert f"{feature}=()" in permissions, where
    if secure:
        assert headers.get("Strict-Transport-Security") == "max-age=31536000", where
    else:
        assert "Strict-Transport-Security" not in headers, where
    if response.mimetype == "text/html" and "attachment" not in headers.get(
        "Content-Disposition", ""
    ):
        assert not INLINE.search(response.get_data(as_text=True)), f"inline code in {where}"


def rule_urls(rule, site: dict) -> list[str]:
    """The rule's URL(s) with its arguments taken from real data (one per language prefix)."""
    endpoint = rule.endpoint
    if endpoint.startswith("admin.google.template"):
        ident = site["template"]
    elif endpoint.startswith("admin.google."):
        ident = site["review"]
    else:
        ident = site["feedback"]
    values = {
        "code": site["code"],
        "id": ident,
        "year": date.today().year,
        "kind": "topics",
        "item_id": site["topic"],
        "action": "deactivate",
        "filename": "css/portal.css",
    }
    languages = [code for code in LANGUAGES if code != DEFAULT_LANGUAGE]

    def fill(lang: str | None) -> str:
        return re.sub(
            r"<(?:[^:<>]+:)?([^<>]+)>",
            lambda match: str(lang if match.group(1) == "lang" else values[match.group(1)]),
            rule.rule,
        )

    return [fill(lang) for lang in languages] if "lang" in rule.arguments else [fill(None)]


@pytest.fixture
def site_app(make_app, tmp_path):
    app = make_app(PUBLIC_BASE_URL="http://localhost")
    return app, load_demo_site(app, tmp_path)


def signed_in(app, base_url: str = "http://localhost"):
    client = app.test_client()
    page = client.get("/admin/login", base_url=base_url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/admin/login",
        data={"name": "krm", "password": DEMO_PASSWORD, "csrf_token": token},
        base_url=base_url,
        headers={"Referer": f"{base_url}/admin/login"},  # Flask-WTF wants it over HTTPS
    )
    assert response.status_code == 303
    return client


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_every_route_sends_the_security_headers(site_app, scheme):
    app, site = site_app
    base_url = f"{scheme}://localhost"
    secure = scheme == "https"
    anonymous = app.test_client()
    officer = signed_in(app, base_url)
    token = csrf_token(officer)
    referer = {"Referer": f"{base_url}/admin/"}  # Flask-WTF wants it over HTTPS
    # Signing out ends the officer's session: it comes last.
    rules = sorted(app.url_map.iter_rules(), key=lambda rule: rule.endpoint == "admin.auth.logout")
    statuses = set()
    for rule in rules:
        for path in rule_urls(rule, site):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                for client in (anonymous, officer):
                    data = {"csrf_token": token} if client is officer else None
                    response = client.open(
                        path, method=method, data=data, base_url=base_url, headers=referer
                    )
                    check_headers(response, path, secure=secure)
                    statuses.add(response.status_code)
    # Pages, downloads, redirects, refused and invalid posts were all among them.
    assert {200, 302, 303, 400, 422} <= statuses


def test_no_admin_response_is_stored_while_public_pages_keep_their_caching(site_app):
    """Shared office computers: no admin page, download or redirect stays in a cache."""
    app, site = site_app
    anonymous = app.test_client()
    officer = signed_in(app)
    token = csrf_token(officer)
    rules = sorted(app.url_map.iter_rules(), key=lambda rule: rule.endpoint == "admin.auth.logout")
    seen = {"admin": set(), "public": set(), "downloads": set()}
    for rule in rules:
        for path in rule_urls(rule, site):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                for client in (anonymous, officer):
                    data = {"csrf_token": token} if client is officer else None
                    response = client.open(path, method=method, data=data)
                    check_caching(response, path, seen)
    week = f"{date.today().year}-W01"
    for path, data in (
        ("/admin/export/download", {"csrf_token": token, "week": week, "format": "xlsx"}),
        ("/admin/export/download", {"csrf_token": token, "week": week, "format": "csv"}),
        ("/admin/login", {"name": "krm", "password": "wrong password!!"}),
    ):
        check_caching(app.test_client().post(path, data=data), path, seen)
        check_caching(officer.post(path, data=data), path, seen)
    assert {"/admin/login", "/admin/", "/admin/export/download"} <= seen["admin"]
    assert {"/", "/feedback/", "/static/css/portal.css"} <= seen["public"]
    assert {"xlsx", "csv"} <= seen["downloads"]


def check_caching(response, path: str, seen: dict) -> None:
    where = f"{response.request.method} {path} ({response.status_code})"
    cache_control = response.headers.get("Cache-Control", "")
    if path == "/admin" or path.startswith("/admin/"):
        assert cache_control == "no-store", where
        seen["admin"].add(path)
        disposition = response.headers.get("Content-Disposition", "")
        if "attachment" in disposition:
            seen["downloads"].add(disposition.rpartition(".")[2].strip('"'))
    else:
        assert "no-store" not in cache_control, where
        seen["public"].add(path)


@pytest.mark.parametrize(
    "path", ["/gibt/es/nicht/", "/en/gibt/es/nicht/", "/admin/gibt-es-nicht", "/de/", "/k/!!/"]
)
def test_not_found_pages_send_the_headers(client, path):
    response = client.get(path)
    assert response.status_code == 404
    check_headers(response, path)


def test_wrong_methods_and_options_send_the_headers(client):
    response = client.get("/admin/logout")
    assert response.status_code == 405
    check_headers(response, "/admin/logout")
    response = client.options("/feedback/")
    check_headers(response, "/feedback/")


def test_the_rate_limited_page_sends_the_headers(make_app):
    client = make_app(RATELIMIT_ENABLED=True, SUBMIT_LIMITS="1 per day").test_client()
    form = {"rating": "4", "text": "Gut.", "lang": "de"}
    assert client.post("/submit", data=form).status_code == 303
    response = client.post("/submit", data={**form, "text": "Noch einmal."})
    assert response.status_code == 429
    check_headers(response, "/submit", stored=False)  # it shows the typed text: never cached


def test_a_crash_sends_the_headers(make_app, tmp_path):
    database = tmp_path / "broken.sqlite3"
    database.write_bytes(b"this is not a database" * 100)
    app = make_app(DATABASE_URL=f"sqlite:///{database}", PROPAGATE_EXCEPTIONS=False)
    for path in ("/k/7QX2M/", "/en/k/7QX2M/"):
        response = app.test_client().get(path)
        assert response.status_code == 500
        check_headers(response, path)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    check_headers(response, "/healthz")


def test_hsts_only_when_the_proxy_says_the_request_came_over_tls(make_app):
    client = make_app(PROXY_HOPS=1).test_client()
    secure = client.get("/", headers={"X-Forwarded-Proto": "https"})
    check_headers(secure, "/", secure=True)
    plain = client.get("/", headers={"X-Forwarded-Proto": "http"})
    check_headers(plain, "/")


def test_signing_in_over_https_works_with_the_admin_referrer_policy(site_app):
    """Flask-WTF checks the Referer over HTTPS; same-origin keeps it for our own forms."""
    app, _site = site_app
    client = signed_in(app, "https://localhost")
    token = csrf_token(client)
    page = client.get("/admin/", base_url="https://localhost")
    assert page.headers["Referrer-Policy"] == "same-origin"
    response = client.post(
        "/admin/logout",
        data={"csrf_token": token},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/admin/"},
    )
    assert response.status_code == 303


def test_public_forms_may_post_to_the_collector_and_land_on_the_public_site(make_app):
    app = make_app(
        PUBLIC_BASE_URL="https://jc.example/meinungskarte",
        COLLECTOR_URL="https://collector.jc.example/submit",
    )
    policy = app.test_client().get("/feedback/").headers["Content-Security-Policy"]
    assert "form-action 'self' https://collector.jc.example https://jc.example;" in policy
    admin_policy = app.test_client().get("/admin/login").headers["Content-Security-Policy"]
    assert "form-action 'self';" in admin_policy
