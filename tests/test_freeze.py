"""`krm freeze`: a complete, deterministic static site whose links resolve, served by nginx."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlencode, urljoin, urlsplit

import pytest
from conftest import stored_feedback
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

from cards.services import add_cards, add_location, find_card, retire_card
from portal.db import utcnow
from portal.extensions import db
from portal.freeze import MARKER, FreezeError, freeze_site
from portal.i18n import DEFAULT_LANGUAGE, LANGUAGES
from portal.vocab import Channel
from tests import servers

SUB_PATH_BASE = "https://jc.example/meinungskarte"
PAGES = (
    "index.html",
    "feedback/index.html",
    "danke/index.html",
    "datenschutz/index.html",
    "barrierefreiheit/index.html",
    "impressum/index.html",
)


def seed_cards(app) -> tuple[list[str], str]:
    """A location with two active cards and one retired card; returns (active codes, retired)."""
    with app.app_context():
        add_location(db.session, "HST", "Hauptstelle Musterstadt")
        codes = [card.code for card in add_cards(db.session, "HST", "Empfang", count=3)]
        retire_card(db.session, codes[-1], now=utcnow())
        db.session.commit()
    return codes[:-1], codes[-1]


def freeze(app, out: Path, **config):
    """Freeze the site of ``app``'s database, the way `krm freeze` does for an installation."""
    settings = {"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": app.config["SECRET_KEY"]}
    return freeze_site({**settings, **config}, out)


def prefixed(lang: str, path: str) -> str:
    return path if lang == DEFAULT_LANGUAGE else f"{lang}/{path}"


def site_files(out: Path) -> dict[str, bytes]:
    return {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file()
    }


class TagParser(HTMLParser):
    """Every start tag with its attributes, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = TagParser()
    parser.feed(html)
    return parser.tags


def form_fields(html: str) -> tuple[str, dict[str, str]]:
    """The form's action and its hidden fields (language, card)."""
    parsed = tags(html)
    action = next(attrs["action"] for tag, attrs in parsed if tag == "form")
    hidden = {
        attrs["name"]: attrs.get("value") or ""
        for tag, attrs in parsed
        if tag == "input" and attrs.get("type") == "hidden"
    }
    return action, hidden


def assert_links_resolve(out: Path, base_url: str, collector_url: str) -> set[str]:
    """Every href/src in every HTML file leads to a file of the site; every form to the collector.

    Each file is placed at its URL under ``base_url``; a link is resolved against that URL the way
    a browser does, so relative links, absolute paths and absolute URLs are all checked alike.
    Returns the files linked to from another page.
    """
    base = urlsplit(base_url + "/")
    checked = 0
    linked = set()
    for page in sorted(out.rglob("*.html")):
        page_url = base_url + "/" + page.relative_to(out).as_posix()
        for tag, attrs in tags(page.read_text()):
            if tag == "form":
                assert attrs["action"] == collector_url, page
            for name in ("href", "src"):
                link = attrs.get(name)
                if link is None:
                    continue
                target = urlsplit(urldefrag(urljoin(page_url, link)).url)
                if target.scheme not in ("http", "https") or target.netloc != base.netloc:
                    continue  # mailto:, tel: or another site
                assert target.path.startswith(base.path), f"{page}: {link} leaves the site"
                path = target.path[len(base.path) :]
                if path == "" or path.endswith("/"):
                    path += "index.html"
                assert (out / path).is_file(), f"{page}: {link} → {path} is missing"
                if path != page.relative_to(out).as_posix():  # not the skip link to #main
                    linked.add(path)
                checked += 1
    assert checked > 100, "the check must see the links"
    return linked


def test_every_page_in_every_language_and_every_card_retired_too(app, tmp_path):
    active, retired = seed_cards(app)
    out = tmp_path / "site"

    result = app.test_cli_runner().invoke(args=["freeze", "--out", str(out)])

    assert result.exit_code == 0, result.output
    assert "Freezing pages: 0 of " in result.output  # not on a terminal: plain lines
    assert re.search(r"^Freezing pages: [\d,]+ done$", result.output, re.M)
    files = site_files(out)
    expected = {
        prefixed(lang, path)
        for lang in LANGUAGES
        for path in (*PAGES, *(f"k/{code}/index.html" for code in [*active, retired]))
    }
    assert expected <= files.keys()
    assert {"static/css/portal.css", "404.html", MARKER} <= files.keys()
    assert not [name for name in files if {"healthz", "submit", "admin"} & set(name.split("/"))]
    pages = len([name for name in files if name.endswith(".html")])
    assert f"Wrote {len(files) - 1} files ({pages} pages) to {out}" in result.output
    assert "Forms post to http://127.0.0.1:5000/submit" in result.output
    card_page = files[f"en/k/{retired}/index.html"].decode()
    assert form_fields(card_page)[1] == {"lang": "en", "card": retired}
    assert "Hauptstelle Musterstadt" in card_page
    not_found = files["404.html"].decode()
    assert "<h1>Diese Seite gibt es nicht.</h1>" in not_found
    assert 'href="/feedback/"' in not_found, "absolute paths: served at any depth"


def test_every_frozen_page_is_in_its_own_language(app, tmp_path):
    """The pages of a freeze share one app context: each must still get its own language."""
    active, _retired = seed_cards(app)
    site = freeze(app, tmp_path / "site")

    german = {path: main_text(site.out / path) for path in (*PAGES, f"k/{active[0]}/index.html")}
    for lang, language in LANGUAGES.items():
        for path, german_text in german.items():
            html = (site.out / prefixed(lang, path)).read_text()
            declared = f'<html lang="{language.lang_attribute}" dir="{language.direction}">'
            assert declared in html, (lang, path)
            if lang != DEFAULT_LANGUAGE:
                assert main_text(site.out / prefixed(lang, path)) != german_text, (lang, path)


def main_text(page: Path) -> str:
    """The words of a page's main content (a heading such as "Impressum" may stay the same)."""
    main = page.read_text().partition('<main id="main"')[2].partition("</main>")[0]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


@pytest.mark.parametrize(
    ("base_url", "collector_url", "action"),
    [
        ("http://127.0.0.1:5000", None, "http://127.0.0.1:5000/submit"),
        (SUB_PATH_BASE, None, f"{SUB_PATH_BASE}/submit"),
        (
            SUB_PATH_BASE + "/",
            "https://jc-collector.example/submit",
            "https://jc-collector.example/submit",
        ),
    ],
    ids=["root", "sub-path", "separate-collector"],
)
def test_every_link_resolves_and_forms_post_to_the_collector(
    app, tmp_path, base_url, collector_url, action
):
    seed_cards(app)
    config = {"PUBLIC_BASE_URL": base_url, "COLLECTOR_URL": collector_url}
    site = freeze(app, tmp_path / "site", **config)

    assert site.collector_url == action
    assert_links_resolve(site.out, base_url.rstrip("/"), site.collector_url)
    if base_url.startswith(SUB_PATH_BASE):
        assert 'href="/meinungskarte/feedback/"' in (site.out / "404.html").read_text()


def test_the_demo_site_holds_the_pages_and_only_the_files_they_load(app, tmp_path):
    """No admin or print stylesheet: besides its pages, the site has what they link to, the 404
    pages, and the two files asked for at every site's root."""
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    site = freeze(app, tmp_path / "site")

    linked = assert_links_resolve(site.out, "http://127.0.0.1:5000", site.collector_url)
    assets = {name for name in site.files if not name.endswith(".html")}
    assert assets == {name for name in linked if not name.endswith(".html")} | {
        "robots.txt",
        "favicon.ico",
    }
    assert {"static/css/portal.css", "static/favicon.svg"} <= assets
    assert not {"static/css/admin.css", "static/css/sheet.css"} & set(site_files(site.out))
    not_linked = {name for name in site.files if name.endswith(".html")} - linked
    assert not_linked == {prefixed(lang, "404.html") for lang in LANGUAGES}


def test_every_language_has_its_own_404_page(app, tmp_path):
    site = freeze(app, tmp_path / "site", PUBLIC_BASE_URL=SUB_PATH_BASE)

    for lang, language in LANGUAGES.items():
        html = (site.out / prefixed(lang, "404.html")).read_text()
        declared = f'<html lang="{language.lang_attribute}" dir="{language.direction}">'
        assert declared in html, lang
        feedback = "/meinungskarte" + "/" + prefixed(lang, "feedback/")
        assert f'href="{feedback}"' in html, "absolute paths: served at any depth"
    assert "<h1>This page does not exist.</h1>" in (site.out / "en" / "404.html").read_text()
    assert 'dir="rtl"' in (site.out / "ar" / "404.html").read_text()


def test_robots_txt_and_favicon_are_in_the_site_as_the_app_serves_them(app, tmp_path):
    site = freeze(app, tmp_path / "site", PUBLIC_BASE_URL=SUB_PATH_BASE)
    live = app.test_client()

    robots = (site.out / "robots.txt").read_text()
    assert (
        robots
        == "User-agent: *\nDisallow: /meinungskarte/admin/\nDisallow: /meinungskarte/submit\n"
    )
    assert (site.out / "favicon.ico").read_bytes() == live.get("/favicon.ico").data
    assert (site.out / "favicon.ico").read_bytes()[:4] == b"\x00\x00\x01\x00", "a real ICO"


@pytest.mark.parametrize(("lang", "path"), [("de", "/danke/"), ("en", "/en/danke/")])
@pytest.mark.parametrize("mounted_at", ["", "/meinungskarte"])
def test_the_collector_redirects_to_the_frozen_thank_you_page_under_the_sub_path(
    make_app, lang, path, mounted_at
):
    """Whether the proxy strips the sub-path or passes it on as SCRIPT_NAME (gunicorn)."""
    client = make_app(PUBLIC_BASE_URL=SUB_PATH_BASE).test_client()
    response = client.post(
        "/submit",
        data={"rating": "4", "lang": lang},
        base_url=f"https://jc.example{mounted_at}",
        headers={"Origin": "https://jc.example"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == SUB_PATH_BASE + path


def test_the_same_data_freezes_to_the_same_bytes(app, tmp_path):
    seed_cards(app)
    first = freeze(app, tmp_path / "first", PUBLIC_BASE_URL=SUB_PATH_BASE)
    second = freeze(app, tmp_path / "second", PUBLIC_BASE_URL=SUB_PATH_BASE)

    assert first.files == second.files
    assert site_files(first.out) == site_files(second.out)


def test_a_folder_freeze_did_not_write_is_refused_and_left_alone(app, tmp_path):
    foreign = tmp_path / "home"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")

    result = app.test_cli_runner().invoke(args=["freeze", "--out", str(foreign)])

    assert result.exit_code != 0
    assert "not written by `krm freeze`" in result.output
    assert [path.name for path in foreign.iterdir()] == ["notes.txt"]
    with pytest.raises(FreezeError, match="not a folder"):
        freeze(app, foreign / "notes.txt")


def test_freezing_again_replaces_the_previous_output(app, tmp_path):
    active, _retired = seed_cards(app)
    out = tmp_path / "site"
    freeze(app, out)
    (out / "en" / "k" / active[0] / "index.html").write_text("stale")
    with app.app_context():
        db.session.delete(find_card(db.session, active[1]))
        new = add_cards(db.session, "HST", "Wartebereich")[0].code
        db.session.commit()

    site = freeze(app, out)

    files = site_files(out)
    assert "stale" not in files[f"en/k/{active[0]}/index.html"].decode()
    for lang in LANGUAGES:
        assert prefixed(lang, f"k/{new}/index.html") in files
        assert prefixed(lang, f"k/{active[1]}/index.html") not in files
    assert not (out / "k" / active[1]).exists()
    assert set(files) == {*site.files, MARKER}


# nginx end to end ---------------------------------------------------------------------------

NGINX = shutil.which("nginx")

NGINX_CONF = """\
{user}daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 64; }}
http {{
    types {{ text/html html; text/css css; }}
    default_type application/octet-stream;
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    gzip on;
    gzip_types text/css;
    server {{
        listen 127.0.0.1:{port};
        add_header Referrer-Policy "no-referrer" always;
        add_header X-Content-Type-Options "nosniff" always;
        add_header X-Frame-Options "DENY" always;
        add_header Content-Security-Policy "{csp}" always;
        add_header Permissions-Policy "{permissions}" always;
{locations}
    }}
}}
"""

# The server blocks of docs/deploy-static.md, with the test's folders and ports.
ROOT_LOCATIONS = """\
        root {site};
        error_page 404 /404.html;
        location = /submit {{
            proxy_pass http://127.0.0.1:{collector};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
        location = /healthz {{ proxy_pass http://127.0.0.1:{collector}; }}
        location /en/ {{ error_page 404 /en/404.html; }}
        location /ar/ {{ error_page 404 /ar/404.html; }}
        location /uk/ {{ error_page 404 /uk/404.html; }}
        location /ru/ {{ error_page 404 /ru/404.html; }}
        location /tr/ {{ error_page 404 /tr/404.html; }}
        location /ls/ {{ error_page 404 /ls/404.html; }}
        location /static/ {{ expires 7d; }}
        location = /.meinungskarte-site {{ return 404; }}
"""

SUB_PATH_LOCATIONS = """\
        error_page 404 {prefix}/404.html;
        location = {prefix} {{ return 301 {prefix}/; }}
        location {prefix}/ {{
            alias {site}/;
            location {prefix}/en/ {{ error_page 404 {prefix}/en/404.html; }}
            location {prefix}/ar/ {{ error_page 404 {prefix}/ar/404.html; }}
            location {prefix}/uk/ {{ error_page 404 {prefix}/uk/404.html; }}
            location {prefix}/ru/ {{ error_page 404 {prefix}/ru/404.html; }}
            location {prefix}/tr/ {{ error_page 404 {prefix}/tr/404.html; }}
            location {prefix}/ls/ {{ error_page 404 {prefix}/ls/404.html; }}
        }}
        location = {prefix}/submit {{
            proxy_pass http://127.0.0.1:{collector};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
        location = {prefix}/healthz {{ proxy_pass http://127.0.0.1:{collector}; }}
        location {prefix}/static/ {{ alias {site}/static/; expires 7d; }}
        location = {prefix}/.meinungskarte-site {{ return 404; }}
"""

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(port: int, method: str, path: str, body: str | None = None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"nginx exited: {log.read_text() if log.exists() else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail("nginx did not start listening within 5 s")


@pytest.mark.skipif(
    NGINX is None and not os.environ.get("CI"),
    reason="nginx is not installed (apt-get install nginx); CI installs it and never skips",
)
@pytest.mark.parametrize("prefix", ["", "/meinungskarte"], ids=["root", "sub-path"])
def test_nginx_serves_the_frozen_site_next_to_the_collector(make_app, tmp_path, prefix):
    port = free_port()
    base_url = f"http://127.0.0.1:{port}{prefix}"
    app = make_app(PUBLIC_BASE_URL=base_url)
    active, retired = seed_cards(app)
    code = active[0]
    site = freeze(app, tmp_path / "site", PUBLIC_BASE_URL=base_url)

    # Like gunicorn with SCRIPT_NAME set: the collector knows it lives under the sub-path.
    collector_app = DispatcherMiddleware(NotFound(), {prefix: app}) if prefix else app
    collector = make_server("127.0.0.1", 0, collector_app)
    thread = threading.Thread(target=collector.serve_forever, daemon=True)
    thread.start()

    locations = (SUB_PATH_LOCATIONS if prefix else ROOT_LOCATIONS).format(
        site=site.out, collector=collector.port, prefix=prefix
    )
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            # Only root must be told: its workers would run as nobody, who cannot read tmp_path.
            user="user root;\n" if os.geteuid() == 0 else "",
            tmp=tmp_path,
            port=port,
            locations=locations,
            csp=CSP,
            permissions=PERMISSIONS,
        )
    )
    log = tmp_path / "error.log"
    command = [NGINX, "-p", str(tmp_path), "-c", str(conf), "-e", str(log)]
    nginx = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, nginx, log)

        status, headers, body = fetch(port, "GET", f"{prefix}/k/{code}/")
        assert status == 200
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["Content-Security-Policy"] == CSP
        assert (headers["X-Content-Type-Options"], headers["X-Frame-Options"]) == (
            "nosniff",
            "DENY",
        )
        assert "camera=()" in headers["Permissions-Policy"]
        action, fields = form_fields(body.decode())
        assert action == f"{base_url}/submit"
        assert fields == {"lang": "de", "card": code}

        form = {**fields, "rating": "2", "kind": "kritik", "text": "Die Wartezeit war zu lang."}
        status, headers, _ = fetch(
            port,
            "POST",
            urlsplit(action).path,
            body=urlencode(form),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": f"http://127.0.0.1:{port}",
            },
        )
        assert status == 303
        assert headers["Location"] == f"{base_url}/danke/"

        status, _, body = fetch(port, "GET", urlsplit(headers["Location"]).path)
        assert status == 200
        assert body == (site.out / "danke" / "index.html").read_bytes()

        assert fetch(port, "GET", f"{prefix}/en/k/{retired}/")[0] == 200
        assert fetch(port, "GET", f"{prefix}/healthz")[0] == 200
        status, headers, _ = fetch(
            port, "GET", f"{prefix}/static/css/portal.css", headers={"Accept-Encoding": "gzip"}
        )
        assert (status, headers["Content-Type"]) == (200, "text/css")
        assert headers["Content-Encoding"] == "gzip"
        assert "max-age=604800" in headers["Cache-Control"]

        assert fetch(port, "GET", f"{prefix}/{MARKER}")[0] == 404
        status, _, body = fetch(port, "GET", f"{prefix}/gibt-es/nicht/")
        assert status == 404
        assert body == (site.out / "404.html").read_bytes()
        for lang in ("en", "ar", "ls"):
            status, headers, body = fetch(port, "GET", f"{prefix}/{lang}/gibt-es/nicht/")
            assert status == 404
            assert body == (site.out / lang / "404.html").read_bytes()
            assert headers["Content-Security-Policy"] == CSP
        assert fetch(port, "GET", f"{prefix}/en/k/{retired}/")[0] == 200, "pages still found"
    finally:
        servers.stop(nginx)
        collector.shutdown()
        thread.join(5)

    [feedback] = stored_feedback(app)
    assert feedback.channel == Channel.CARD_QR
    assert feedback.card.code == code
    assert feedback.location.code == "HST"
    assert feedback.text == "Die Wartezeit war zu lang."
