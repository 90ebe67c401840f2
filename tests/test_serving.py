"""Serving as in production: gunicorn with gunicorn.conf.py, limits shared through Redis."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from conftest import require_binary, stored_feedback

from portal import ROOT, create_app
from portal.freeze import freeze_site
from tests import servers

SECRET = "a-shared-secret-of-the-two-collectors-0123456789"


@contextlib.contextmanager
def gunicorn(log: Path, bind_port: int | None = None, **settings: str) -> Iterator[int]:
    """``gunicorn 'portal:create_app()'`` in the checkout with one worker; yields its port."""
    port = bind_port or servers.free_port()
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
        servers.stop(process, timeout=30)


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


NGINX = shutil.which("nginx")


def deploy_md_nginx(tmp: Path, *, https: int, http: int, upstream: int, cert: Path, key: Path):
    """The nginx configuration of docs/deploy.md, with the test's folders, ports and certificate."""
    site_conf, proxy_conf = re.findall(
        r"```nginx\n(.*?)```", (ROOT / "docs" / "deploy.md").read_text(), re.S
    )[:2]
    host = "meinungskarte.jobcenter-musterstadt.de"
    for old, new in (
        (f"/etc/letsencrypt/live/{host}/fullchain.pem", str(cert)),
        (f"/etc/letsencrypt/live/{host}/privkey.pem", str(key)),
        ("/var/log/nginx", str(tmp)),
        ("/srv/meinungskarte/site", str(tmp / "site")),
        ("/etc/nginx/meinungskarte-proxy.conf", str(tmp / "proxy.conf")),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("listen 80;", f"listen 127.0.0.1:{http};"),
        ("listen [::]:80;", ""),
    ):
        assert old in site_conf, old
        site_conf = site_conf.replace(old, new)
    (tmp / "proxy.conf").write_text(proxy_conf)
    temp_paths = "".join(
        f"{kind}_temp_path {tmp}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi")
    )
    conf = tmp / "nginx.conf"
    conf.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"daemon off;\nworker_processes 1;\npid {tmp}/nginx.pid;\nerror_log {tmp}/error.log;\n"
        + "events { worker_connections 64; }\n"
        + "http {\ninclude /etc/nginx/mime.types;\n"
        + temp_paths
        + f"uwsgi_temp_path {tmp}/uwsgi;\nscgi_temp_path {tmp}/scgi;\n{site_conf}\n}}\n"
    )
    return conf


@pytest.mark.skipif(
    NGINX is None and not os.environ.get("CI"),
    reason="nginx is not installed (apt-get install nginx); CI installs it and never skips",
)
def test_the_example_of_deploy_md_serves_site_collector_and_admin_over_tls(make_app, tmp_path):
    https, plain_port, upstream = (servers.free_port() for _ in range(3))
    base_url = f"https://127.0.0.1:{https}"
    app = make_app(PUBLIC_BASE_URL=base_url)
    freeze_site(
        {"DATABASE_URL": app.config["DATABASE_URL"], "PUBLIC_BASE_URL": base_url}, tmp_path / "site"
    )
    cert, key = servers.self_signed_certificate(tmp_path)
    conf = deploy_md_nginx(
        tmp_path, https=https, http=plain_port, upstream=upstream, cert=cert, key=key
    )
    settings = {
        "ENV": "production",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "PUBLIC_BASE_URL": base_url,
        "PROXY_HOPS": "1",
    }
    tls = ssl.create_default_context(cafile=str(cert))

    def fetch(method: str, path: str, body: str | None = None, **headers: str):
        connection = http.client.HTTPSConnection("127.0.0.1", https, timeout=30, context=tls)
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
        connection.close()
        return response, content

    with gunicorn(tmp_path / "gunicorn.log", bind_port=upstream, **settings):
        command = [NGINX, "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")]
        nginx = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            servers.wait_for_port(https, nginx)
            page, html = fetch("GET", "/feedback/")
            assert page.status == 200 and b"<form" in html
            assert "form-action 'self'" in page.headers["Content-Security-Policy"]
            assert page.headers["Strict-Transport-Security"] == "max-age=31536000"

            form = urlencode({"lang": "de", "rating": "4", "text": "Über nginx gesendet."})
            sent, _ = fetch(
                "POST",
                "/submit",
                form,
                **{"Content-Type": "application/x-www-form-urlencoded", "Origin": base_url},
            )
            assert sent.status == 303
            assert sent.headers["Location"] == f"{base_url}/danke/"
            assert fetch("GET", "/danke/")[0].status == 200
            missing, body = fetch("GET", "/en/xyz/")
            assert missing.status == 404
            assert b'<html lang="en" dir="ltr">' in body
            assert b"<h1>This page does not exist.</h1>" in body
            assert "default-src 'none'" in missing.headers["Content-Security-Policy"]
            missing, body = fetch("GET", "/ar/k/GIBTESNICHT/")
            assert (missing.status, b'<html lang="ar" dir="rtl">' in body) == (404, True)
            missing, body = fetch("GET", "/xyz/")
            assert (missing.status, b"<h1>Diese Seite gibt es nicht.</h1>" in body) == (404, True)
            robots, body = fetch("GET", "/robots.txt")
            assert (robots.status, robots.headers["Content-Type"]) == (200, "text/plain")
            assert b"Disallow: /admin/\nDisallow: /submit\n" in body
            icon, body = fetch("GET", "/favicon.ico")
            assert (icon.status, icon.headers["Content-Type"], body[:4]) == (
                200,
                "image/x-icon",
                b"\x00\x00\x01\x00",
            )
            health, body = fetch("GET", "/healthz")
            assert (health.status, json.loads(body)["status"]) == (200, "ok")
            login, body = fetch("GET", "/admin/login")
            assert login.status == 200 and b'name="password"' in body
            assert "Secure" in login.headers["Set-Cookie"]

            plain = http.client.HTTPConnection("127.0.0.1", plain_port, timeout=30)
            plain.request("GET", "/feedback/", headers={"Host": "127.0.0.1"})
            redirect = plain.getresponse()
            assert redirect.status == 301
            assert redirect.headers["Location"] == "https://127.0.0.1/feedback/"
            plain.close()
        finally:
            servers.stop(nginx, timeout=10)

    assert [f.text for f in stored_feedback(app)] == ["Über nginx gesendet."]
    access = (tmp_path / "meinungskarte.access.log").read_text()
    assert '"POST /submit" 303' in access and '"GET /admin/login" 200' in access
    assert "127.0.0.1" not in access
    assert "127.0.0.1 " not in (tmp_path / "gunicorn.log").read_text().replace("Listening", "")
