"""Rate limits: per client, over all clients, and keys that hold no IP address."""

from __future__ import annotations

import gzip
import logging
import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from conftest import base_config, limiter_keys, require_binary, stored_feedback
from sqlalchemy import event

from portal import create_app, submissions
from portal.extensions import db
from portal.i18n import LANGUAGES
from portal.public.forms import FeedbackForm
from portal.public.refusal import query
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
    page = RefusalPage(response.get_data(as_text=True))
    assert page.h1 == "Noch nicht gespeichert"
    assert "Es wurden gerade zu viele Nachrichten gesendet." in page.text
    assert "Bitte versuchen Sie es in 1 Minute noch einmal." in page.text
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert page.textarea == "Dritte Nachricht, bitte nicht verlieren"
    assert "readonly" in page.textarea_attributes
    assert page.labels == {"text": "Ihre Nachricht"}
    assert page.textarea_attributes["id"] == "text"
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert [f.text for f in stored_feedback(app)] == ["Erste", "Zweite"]


def test_the_429_page_links_back_to_the_form_with_everything_typed(make_app):
    client = limited_app(make_app, SUBMIT_LIMITS="1 per minute").test_client()
    assert post(client, "Erste").status_code == 303
    typed = {
        "rating": "2",
        "kind": "kritik",
        "area": "organisation",
        "text": "Zu lange gewartet & keiner sagt Bescheid? 100 % ärgerlich.\nZweite Zeile",
        "contact_email": "erika@example.org",
        "contact_phone": "0261 123456",
        "consent": "y",
        "lang": "en",
    }
    refused = client.post("/submit", data=typed, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert refused.status_code == 429
    link = urlsplit(RefusalPage(refused.get_data(as_text=True)).back_link)
    assert f"{link.scheme}://{link.netloc}{link.path}" == "http://127.0.0.1:5000/submit"
    assert dict(parse_qsl(link.query)) == typed

    form = client.get(f"/submit?{link.query}")
    assert form.status_code == 200
    assert form.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in form.headers
    html = form.get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in html
    for field, value in (("rating", "2"), ("kind", "kritik"), ("area", "organisation")):
        assert re.search(rf'name="{field}" value="{value}" checked', html), field
    assert (
        ">Zu lange gewartet &amp; keiner sagt Bescheid? 100 % ärgerlich.\nZweite Zeile</textarea>"
        in html
    )
    assert 'value="erika@example.org"' in html and 'value="0261 123456"' in html
    assert 'id="consent" name="consent" value="y" checked' in html
    assert '<input type="hidden" name="lang" value="en">' in html


def test_a_text_too_long_for_the_link_is_left_out_and_the_page_says_to_copy_it(make_app):
    client = limited_app(make_app, SUBMIT_LIMITS="1 per minute").test_client()
    assert post(client, "Erste").status_code == 303
    text = "Öffnungszeiten länger, bitte! " * 60  # 1,800 characters, over 3,000 in a link
    refused = client.post(
        "/submit",
        data={"rating": "4", "text": text, "lang": "de"},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert refused.status_code == 429
    page = RefusalPage(refused.get_data(as_text=True))
    assert page.textarea == text.strip()
    assert "Ihr Text ist zu lang für den Link zum Formular. Bitte kopieren Sie ihn" in page.text
    assert dict(parse_qsl(urlsplit(page.back_link).query)) == {"rating": "4", "lang": "de"}
    assert len(page.back_link) <= 2000


@pytest.mark.parametrize(
    ("code", "heading", "label", "link"),
    [
        ("en", "Not saved yet", "Your message", "Back to the form"),
        ("ar", "لم تُحفظ بعد", "رسالتكم", "العودة إلى النموذج"),
    ],
)
def test_the_429_page_is_small_accessible_and_speaks_the_form_s_language(
    make_app, code, heading, label, link
):
    client = limited_app(make_app, SUBMIT_LIMITS="1 per minute").test_client()
    assert client.post("/submit", data={"rating": "2", "lang": code}).status_code == 303
    text = "ж" * 2000  # the longest text, in letters that take two bytes each: too long to link
    refused = client.post("/submit", data={"rating": "2", "text": text, "lang": code})
    assert refused.status_code == 429
    html = refused.get_data(as_text=True)
    page = RefusalPage(html)
    language = LANGUAGES[code]
    assert page.html == {"lang": language.lang_attribute, "dir": language.direction}
    assert page.h1 == heading
    assert page.link_text == link
    assert page.labels == {"text": label} and page.textarea == text
    assert page.textarea_attributes["aria-describedby"] == "text-hint"
    stylesheet = client.get("/static/css/portal.css").get_data()
    weight = len(gzip.compress(html.encode())) + len(gzip.compress(stylesheet))
    assert weight < 14 * 1024, f"{weight} bytes gzip: more than one round trip"


def test_a_refused_post_touches_neither_the_database_nor_the_masking(make_app, monkeypatch):
    app = limited_app(make_app, SUBMIT_LIMITS="1 per minute")
    client = app.test_client()
    assert post(client, "Erste").status_code == 303
    masked = []
    monkeypatch.setattr(submissions, "mask_personal_data", lambda text: masked.append(text))
    monkeypatch.setattr(FeedbackForm, "__init__", lambda *args, **kwargs: masked.append(args))
    statements = []
    with app.app_context():
        engine = db.engine
    listen = ("before_cursor_execute", lambda *args: statements.append(args[2]))
    event.listen(engine, *listen)
    try:
        response = post(client, "Schreiben Sie an max.muster@example.org, bitte.")
    finally:
        event.remove(engine, *listen)

    assert response.status_code == 429
    assert statements == [] and masked == []
    # Only the sender sees the text again, as typed: nothing of it was stored.
    assert RefusalPage(response.get_data(as_text=True)).textarea == (
        "Schreiben Sie an max.muster@example.org, bitte."
    )
    assert [f.text for f in stored_feedback(app)] == ["Erste"]


class RefusalPage(HTMLParser):
    """What the 429 page shows: its heading, text, the read-only field and the link back."""

    def __init__(self, html: str):
        super().__init__()
        self.html: dict = {}
        self.h1 = self.textarea = self.back_link = self.link_text = ""
        self.textarea_attributes: dict = {}
        self.labels: dict[str, str] = {}
        self.text = ""
        self._in: str | None = None
        self._label_for = ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.html = attributes
        elif tag == "textarea":
            self.textarea_attributes = attributes
        elif tag == "label":
            self._label_for = attributes["for"]
            self.labels[self._label_for] = ""
        elif tag == "a" and "button" in (attributes.get("class") or ""):
            self.back_link = attributes["href"]
        if tag in ("h1", "textarea", "label", "a"):
            self._in = tag

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        self.text += data
        if self._in == "h1":
            self.h1 += data
        elif self._in == "textarea":
            self.textarea += data
        elif self._in == "label":
            self.labels[self._label_for] += data
        elif self._in == "a":
            self.link_text += data


def test_the_link_s_query_is_what_urlencode_makes():
    values = {
        "text": "Grüße & Dank: 100 % + mehr = gut?\n\tneu/alt #1 ~ä_ö.ü- \u0416 \U0001f600",
        "contact_email": "a+b@example.org",
        "lang": "de@ls",
    }
    assert query(values) == urlencode(values)


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
