"""The Nu Html Checker finds no errors in the frozen site, the admin pages and the style sheets.

The checker is the ``vnu-jar`` npm package in ``.venv/vnu/`` run by Debian's Java
(``default-jre-headless``); ``make test`` installs both. One JVM checks every file at once: it
takes a while to start.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

from conftest import load_demo_site, login, require_binary
from test_headers import rule_urls, signed_in

from portal.freeze import freeze_site

ROOT = Path(__file__).resolve().parent.parent
VNU_JAR = ROOT / ".venv" / "vnu" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
JAVA = shutil.which("java")


def file_name(path: str) -> str:
    return (re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-") or "index") + ".html"


def queue_scanned_card(app) -> str:
    """A scanned card waiting for review, with uncertain boxes; the review page's path."""
    from admin.paper.models import ScanReview
    from portal.extensions import db

    with app.app_context():
        db.session.add(
            ScanReview(
                received_on=date(2026, 12, 1),
                page=2,
                code=None,
                rating=None,
                uncertain="code,rating",
                reasons="Der QR-Code ist nicht lesbar: bitte den Kartencode eintippen.",
                boxes=json.dumps({"rating": ["leer", "unklar", "angekreuzt", "leer", "leer"]}),
                fingerprint="html-checker:0",
                picture=b"\x89PNG",
            )
        )
        db.session.commit()
    return "/admin/paper/review"


def save_admin_pages(app, site: dict, folder: Path) -> list[str]:
    """Every admin page the officer can reach, the login page and forms with errors.

    From the admin routes (arguments from the demo data) the links are followed; of paths that
    differ only in numbers (entries, cards …) one is enough.
    """
    folder.mkdir()
    officer = signed_in(app)
    saved = []

    def save(path: str, response) -> str:
        if response.mimetype != "text/html" or 300 <= response.status_code < 400:
            return ""
        page = response.get_data(as_text=True)
        (folder / f"{response.status_code}-{file_name(path)}").write_text(page, encoding="utf-8")
        saved.append(path)
        return page

    routes = [f"/admin/entries/{site['review_feedback']}"]
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin.") and "GET" in rule.methods:
            routes += rule_urls(rule, site)
    seen, shapes, queue = set(), set(), list(routes)
    while queue:
        path = queue.pop(0)
        shape = re.sub(r"\d+", "#", path)
        if path in seen or (path not in routes and shape in shapes):
            continue
        seen.add(path)
        shapes.add(shape)
        response = officer.get(path)
        if response.status_code == 200:
            queue += re.findall(r'href="(/admin/[^"?#]*)', save(path, response))
    invalid = save("/admin/?to=gestern", officer.get("/admin/?from=2026-11-02&to=gestern&card=!!"))
    assert 'name="from" value="2026-11-02"' in invalid and "Kein gültiges Datum" in invalid
    save("/admin/gibt-es-nicht", officer.get("/admin/gibt-es-nicht"))
    save("/admin/paper/review (a scanned card)", officer.get(queue_scanned_card(app)))
    anonymous = app.test_client()
    save("/admin/login (wrong password)", login(anonymous, "krm", "falsch"))
    save("/submit (errors)", anonymous.post("/submit", data={"rating": "9", "lang": "ar"}))
    save("/gibt/es/nicht/", anonymous.get("/gibt/es/nicht/"))
    return saved


def test_the_nu_html_checker_finds_no_errors(make_app, tmp_path):
    require_binary(JAVA and VNU_JAR.is_file(), "The Nu Html Checker (java and .venv/vnu)")
    app = make_app(PUBLIC_BASE_URL="http://localhost")
    site = load_demo_site(app, tmp_path)
    frozen = tmp_path / "site"
    settings = {"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": app.config["SECRET_KEY"]}
    freeze_site(settings, frozen)
    admin = tmp_path / "admin"
    saved = save_admin_pages(app, site, admin)
    assert {"/admin/", "/admin/audit/", "/admin/mail/templates/zwischennachricht/ar"} <= set(
        saved
    ), saved
    html = sorted(frozen.rglob("*.html"))
    assert len(html) > 40  # every public page in every language, and the cards' pages
    command = [JAVA, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", "--stdout"]
    command += ["--no-langdetect", "--also-check-css", *map(str, html), *map(str, admin.iterdir())]
    command += [str(sheet) for sheet in sorted(frozen.rglob("*.css"))]
    command += [str(sheet) for sheet in sorted((ROOT / "static" / "css").glob("*.css"))]
    checked = subprocess.run(command, capture_output=True, text=True, timeout=900)
    messages = json.loads(checked.stdout)["messages"]
    report = "\n".join(
        f"{message['type']}: {message.get('url', '').removeprefix(f'file:{tmp_path}/')}"
        f":{message.get('lastLine', '?')}: {message['message']}\n    {message.get('extract', '')}"
        for message in messages
    )
    assert messages == [], f"{len(messages)} errors:\n{report}"
    assert checked.returncode == 0, checked.stderr
