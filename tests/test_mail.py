"""E-mail: acknowledgements, interim replies and the digest, through a real SMTP server on loopback.

The server is aiosmtpd, started per test on a free port of 127.0.0.1; it records what it is sent.
An "unreachable" server is a free port nobody listens on.
"""

from __future__ import annotations

import re
import socket
import threading
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from conftest import PASSWORD, csrf_token, login
from sqlalchemy import select

from admin.mail.service import queue_interim
from portal.audit import AuditEvent
from portal.deadlines import BERLIN
from portal.extensions import db
from portal.feedback import Feedback
from portal.mail.outbox import OutboxMessage, Sender, send_due
from portal.mail.smtp import Mail, MailConfig, build_message, valid_address
from portal.mail.texts import DEFAULTS, PLACEHOLDERS, default_texts, save_template, texts_problem
from portal.submissions import Rules, Submission, submit_feedback
from portal.vocab import Channel, MailKind, MailStatus, Status
from tests.servers import self_signed_certificate

SENDER = "krm@jobcenter-musterstadt.example"
OFFICERS = ["krm@jobcenter-musterstadt.example", "vertretung@jobcenter-musterstadt.example"]
CITIZEN = "erika.mustermann@example.org"
SECRET_TEXT = "Mein Sachbearbeiter Herr Özdemir hat seit Wochen nicht zurückgerufen"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Recorder:
    """An aiosmtpd handler keeping every message; ``refuse`` answers RCPT with a 550."""

    def __init__(self) -> None:
        self.envelopes = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"

    @property
    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(e.content, policy=policy.default) for e in self.envelopes]


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.recorder = Recorder()
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=port)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture
def smtp():
    server = SmtpServer(free_port()).start()
    yield server
    server.stop()


def mail_settings(port: int, **overrides) -> dict:
    return {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_FROM": f"KRM Jobcenter Musterstadt <{SENDER}>",
        "MAIL_NOTIFY": ",".join(OFFICERS),
        "MAIL_TIMEOUT": 5,
        "MAIL_RETRY_BASE_DELAY": 0,
        "ADMIN_URL": "https://krm.jobcenter-musterstadt.example/admin",
        **overrides,
    }


@pytest.fixture
def app(make_app, smtp):
    """The app of every test here (and of conftest's ``accounts``): mail on, to ``smtp``."""
    return make_app(**mail_settings(smtp.port))


def post_feedback(client, *, lang="en", email=CITIZEN, text=SECRET_TEXT):
    data = {"rating": "2", "kind": "kritik", "text": text, "lang": lang}
    if email:
        data |= {"contact_email": email, "consent": "y"}
    # Closing the response runs what it scheduled after it was sent, as a WSGI server does.
    with client.post("/submit", data=data) as response:
        assert response.status_code == 303
    return response


def outbox(app) -> list[OutboxMessage]:
    with app.app_context():
        return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def only_feedback(app) -> Feedback:
    with app.app_context():
        return db.session.scalars(select(Feedback)).one()


def plain_and_html(message: EmailMessage) -> tuple[str, str]:
    return (
        message.get_body(("plain",)).get_content(),
        message.get_body(("html",)).get_content(),
    )


# --- the acknowledgement ---------------------------------------------------------------------


def test_acknowledgement_arrives_in_the_form_language_with_safe_headers(app, smtp):
    post_feedback(app.test_client(), lang="en")

    [envelope] = smtp.recorder.envelopes
    assert envelope.mail_from == SENDER
    assert envelope.rcpt_tos == [CITIZEN]
    [message] = smtp.recorder.messages
    feedback = only_feedback(app)
    assert message["To"] == CITIZEN
    assert message["From"].addresses[0].addr_spec == SENDER
    assert message["Subject"] == f"Acknowledgement of receipt: your message KRM-{feedback.id}"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Content-Language"] == "en"
    assert re.fullmatch(r"<[0-9a-f]{32}@jobcenter-musterstadt\.example>", message["Message-ID"])
    assert message["Date"].datetime.tzinfo is not None
    assert message.get_content_type() == "multipart/alternative"
    text, html = plain_and_html(message)
    assert f"KRM-{feedback.id}" in text and "Thank you" in text
    assert '<html lang="en" dir="ltr">' in html and f"KRM-{feedback.id}" in html
    # Nothing of the person's but the reference: not their words, not their address.
    for part in (text, html):
        assert "Özdemir" not in part and CITIZEN not in part
    # The entry records when it was acknowledged, and the message forgets the address.
    assert feedback.acknowledged_at is not None
    [row] = outbox(app)
    assert row.status == MailStatus.SENT and row.recipient is None
    assert row.sent_at == feedback.acknowledged_at


def test_german_form_gets_the_german_acknowledgement(app, smtp):
    post_feedback(app.test_client(), lang="de")
    [message] = smtp.recorder.messages
    assert message["Subject"].startswith("Eingangsbestätigung: Ihre Nachricht KRM-")
    assert message["Content-Language"] == "de"
    text, _html = plain_and_html(message)
    assert "Jobcenter Musterstadt" in text and "Sie bekommen eine Antwort bis zum" in text


def test_no_acknowledgement_without_email_or_consent(app, smtp):
    client = app.test_client()
    post_feedback(client, email=None)
    with client.post(
        "/submit", data={"rating": "4", "contact_phone": "0261 123456", "consent": "y"}
    ) as response:
        assert response.status_code == 303
    assert outbox(app) == []
    assert smtp.recorder.envelopes == []


def test_without_mail_settings_nothing_is_queued_and_the_admin_area_says_so(make_app):
    from admin.accounts.service import add_user
    from portal.vocab import Role

    app = make_app()
    with app.app_context():
        add_user(db.session, "krm", PASSWORD, Role.KRM, actor="test", now=datetime.now(UTC))
        db.session.commit()
    post_feedback(app.test_client())
    assert outbox(app) == []
    client = app.test_client()
    login(client, "krm")
    page = client.get("/admin/mail/").get_data(as_text=True)
    assert "E-Mail ist ausgeschaltet: Es fehlt KRM_MAIL_SERVER und KRM_MAIL_FROM" in page
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code != 0 and "ausgeschaltet" in result.output


def test_unreachable_server_keeps_the_message_and_a_later_send_delivers_it_once(make_app):
    port = free_port()  # nobody listens here yet
    app = make_app(**mail_settings(port))
    post_feedback(app.test_client())  # the citizen's 303 came all the same

    [row] = outbox(app)
    assert row.status == MailStatus.PENDING
    assert row.attempts == 1 and "nicht erreichbar" in row.last_error
    assert only_feedback(app).acknowledged_at is None

    runner = app.test_cli_runner()
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 1 and "bleiben im Postausgang" in result.output
    assert outbox(app)[0].attempts == 2

    server = SmtpServer(port).start()  # the server is back
    try:
        result = runner.invoke(args=["mail", "send"])
        assert result.exit_code == 0, result.output
        assert "1 gesendet" in result.output
        again = runner.invoke(args=["mail", "send"])
        assert "0 gesendet" in again.output
    finally:
        server.stop()
    assert [e.rcpt_tos for e in server.recorder.envelopes] == [[CITIZEN]]
    assert outbox(app)[0].status == MailStatus.SENT
    assert only_feedback(app).acknowledged_at is not None


def test_backoff_waits_before_the_next_attempt(make_app):
    app = make_app(**mail_settings(free_port(), MAIL_RETRY_BASE_DELAY=60))
    post_feedback(app.test_client())
    [row] = outbox(app)
    assert row.next_attempt_at - row.last_attempt_at == timedelta(seconds=60)
    with app.app_context():
        # Not due yet: the next run leaves it alone.
        result = send_due(db.session, Sender.from_config(app.config), now=row.last_attempt_at)
    assert result.sent == result.waiting == 0
    with app.app_context():
        later = row.next_attempt_at + timedelta(seconds=1)
        send_due(db.session, Sender.from_config(app.config), now=later)
    [row] = outbox(app)
    assert row.attempts == 2
    assert row.next_attempt_at - row.last_attempt_at == timedelta(seconds=120)


def test_a_refused_address_fails_for_good_and_the_admin_area_shows_it(app, smtp, accounts):
    smtp.recorder.refuse.add(CITIZEN)
    post_feedback(app.test_client())
    [row] = outbox(app)
    assert row.status == MailStatus.FAILED
    assert "550" in row.last_error
    assert only_feedback(app).acknowledged_at is None

    client = app.test_client()
    login(client, "krm")
    page = client.get("/admin/mail/").get_data(as_text=True)
    assert "0 warten auf den Versand, 1 fehlgeschlagen" in page
    assert "lehnt die Empfängeradresse ab" in page
    assert "1 E-Mail nicht zugestellt" in re.sub(
        r"<[^>]+>", "", client.get("/admin/").get_data(as_text=True)
    )

    smtp.recorder.refuse.clear()
    token = csrf_token(client, "/admin/mail/")
    response = client.post(f"/admin/mail/messages/{row.id}/retry", data={"csrf_token": token})
    assert response.status_code == 303
    assert app.test_cli_runner().invoke(args=["mail", "send"]).exit_code == 0
    assert [e.rcpt_tos for e in smtp.recorder.envelopes] == [[CITIZEN]]


def test_two_senders_never_send_the_same_message(app, smtp):
    with app.app_context():
        for number in range(12):
            submit_feedback(
                db.session,
                Submission(
                    channel=Channel.HOMEPAGE,
                    language="de",
                    text=f"Nachricht {number}",
                    contact_email=f"person{number}@example.org",
                ),
                now=datetime.now(UTC),
                rules=Rules(acknowledge_by_mail=True),
            )
        db.session.commit()

    def run() -> None:
        with app.app_context():
            send_due(db.session, Sender.from_config(app.config))

    workers = [threading.Thread(target=run) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    recipients = sorted(r for e in smtp.recorder.envelopes for r in e.rcpt_tos)
    assert recipients == sorted(f"person{n}@example.org" for n in range(12))
    assert {row.status for row in outbox(app)} == {MailStatus.SENT}


def test_a_claimed_message_is_left_to_its_sender(app, smtp):
    with app.app_context():
        stored = submit_feedback(
            db.session,
            Submission(channel=Channel.HOMEPAGE, language="de", rating=3, contact_email=CITIZEN),
            now=datetime.now(UTC),
            rules=Rules(acknowledge_by_mail=True),
        )
        db.session.commit()
        now = datetime.now(UTC)
        db.session.execute(
            OutboxMessage.__table__.update().values(claimed_until=now + timedelta(minutes=5))
        )
        db.session.commit()
        assert send_due(db.session, Sender.from_config(app.config), now=now).sent == 0
        # A sender that died: its claim runs out and another sender delivers.
        later = now + timedelta(minutes=6)
        assert send_due(db.session, Sender.from_config(app.config), now=later).sent == 1
    assert len(smtp.recorder.envelopes) == 1
    assert stored.mail_id == outbox(app)[0].id


# --- templates --------------------------------------------------------------------------------


def test_an_edited_template_applies_to_its_language_only(app, smtp):
    with app.app_context():
        save_template(
            db.session,
            MailKind.ACKNOWLEDGEMENT,
            "en",
            "We have your message {aktenzeichen}",
            "Hello,\n\nthank you. Reference: {aktenzeichen}.\n\n{jobcenter}",
            actor="krm",
            actor_id=None,
            now=datetime.now(UTC),
        )
        db.session.commit()
    client = app.test_client()
    post_feedback(client, lang="en")
    post_feedback(client, lang="de", text="Anderer Text")
    english, german = smtp.recorder.messages
    assert english["Subject"].startswith("We have your message KRM-")
    assert "Reference: KRM-" in plain_and_html(english)[0]
    assert german["Subject"].startswith("Eingangsbestätigung")


@pytest.mark.parametrize("kind", list(DEFAULTS))
def test_every_language_has_a_usable_default(app, kind):
    from portal.i18n import LANGUAGES

    with app.app_context():
        german = default_texts(kind, "de")
        for code in LANGUAGES:
            texts = default_texts(kind, code)
            assert texts_problem(kind, texts.subject, texts.body) == {}
            assert (code == "de") == (texts == german), code
            for name in PLACEHOLDERS[kind]:
                assert "{" + name + "}" in texts.body or name in ("abschluss", "eingang")


def test_template_page_refuses_an_unknown_placeholder_and_keeps_the_text(app, accounts):
    client = app.test_client()
    login(client, "krm")
    page = client.get("/admin/mail/templates/eingangsbestaetigung/en").get_data(as_text=True)
    assert "Acknowledgement of receipt" in page
    body = "Dear {name}, your reference is {aktenzeichen}."
    response = client.post(
        "/admin/mail/templates/eingangsbestaetigung/en",
        data={
            "subject": "Hello",
            "body": body,
            "csrf_token": csrf_token(client, "/admin/mail/"),
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Den Platzhalter {name} gibt es nicht" in page
    assert "Dear {name}, your reference is {aktenzeichen}." in page


# --- headers ----------------------------------------------------------------------------------


def test_no_header_injection_through_addresses_or_subjects():
    assert valid_address("a@example.org\r\nBcc: victim@example.org") is None
    assert valid_address("a@example.org, b@example.org") is None
    config = MailConfig.from_config(
        {"MAIL_SERVER": "127.0.0.1", "MAIL_FROM": SENDER, "JOBCENTER_NAME": "Jobcenter"}
    )
    message = build_message(
        Mail(CITIZEN, "Betreff\r\nBcc: victim@example.org", "Text"),
        config,
        now=datetime.now(UTC),
        token="a" * 32,
    )
    assert message["Bcc"] is None
    assert message["Subject"] == "Betreff Bcc: victim@example.org"
    assert "\n" not in message["Subject"]


# --- the interim reply --------------------------------------------------------------------------


def test_officer_is_reminded_and_sends_the_interim_reply_in_one_step(app, smtp, accounts):
    post_feedback(app.test_client(), lang="de")
    feedback = only_feedback(app)
    with app.app_context():
        # Twelve days later: the closing deadline is near.
        row = db.session.get(Feedback, feedback.id)
        row.close_by = datetime.now(UTC) + timedelta(days=2)
        db.session.commit()
    client = app.test_client()
    login(client, "krm")
    page = client.get(f"/admin/entries/{feedback.id}").get_data(as_text=True)
    assert "Zwischennachricht fällig" in page
    assert "Eingangsbestätigung: gesendet am" in page

    token = csrf_token(client, f"/admin/entries/{feedback.id}")
    refused = client.post(
        f"/admin/entries/{feedback.id}/interim",
        data={"reason": "", "until": "", "csrf_token": token},
    )
    assert refused.status_code == 422
    assert "Bitte nennen Sie den Grund" in refused.get_data(as_text=True)
    typo = client.post(
        f"/admin/entries/{feedback.id}/interim",
        data={"reason": "Wir prüfen noch.", "until": "31.13.2026", "csrf_token": token},
    )
    assert typo.status_code == 422
    assert "Bitte geben Sie ein gültiges Datum an" in typo.get_data(as_text=True)
    assert "Wir prüfen noch." in typo.get_data(as_text=True)

    until = date.today() + timedelta(days=21)
    with client.post(
        f"/admin/entries/{feedback.id}/interim",
        data={
            "reason": "Wir warten auf eine Stellungnahme des Fachbereichs.",
            "until": until.isoformat(),
            "csrf_token": token,
        },
    ) as response:
        assert response.status_code == 303

    _acknowledgement, interim = smtp.recorder.messages
    assert interim["To"] == CITIZEN
    assert interim["Subject"] == f"Zwischennachricht: Ihre Nachricht KRM-{feedback.id}"
    text, _html = plain_and_html(interim)
    assert "Der Grund: Wir warten auf eine Stellungnahme des Fachbereichs." in text
    assert f"bis zum {until.day}. " in text and str(until.year) in text
    assert "Özdemir" not in text
    feedback = only_feedback(app)
    assert feedback.interim_sent_at is not None
    page = client.get(f"/admin/entries/{feedback.id}").get_data(as_text=True)
    assert "Zwischennachricht fällig" not in page
    assert "Zwischennachricht per E-Mail gesendet" in page


def test_the_interim_reply_date_is_checked_and_becomes_the_closing_deadline(app, smtp, accounts):
    post_feedback(app.test_client(), lang="de")
    feedback = only_feedback(app)
    original = feedback.close_by.astimezone(BERLIN).date()
    client = app.test_client()
    login(client, "krm")
    page = client.get(f"/admin/entries/{feedback.id}").get_data(as_text=True)
    assert (
        f"Das Datum wird die neue Abschlussfrist des Eintrags (bisher {original:%d.%m.%Y})" in page
    )

    token = csrf_token(client, f"/admin/entries/{feedback.id}")
    reason = "Wir warten auf eine Stellungnahme des Fachbereichs."
    today = datetime.now(BERLIN).date()
    for refused_day in (today - timedelta(days=3), today):
        refused = client.post(
            f"/admin/entries/{feedback.id}/interim",
            data={"reason": reason, "until": refused_day.isoformat(), "csrf_token": token},
        )
        assert refused.status_code == 422
        html = refused.get_data(as_text=True)
        assert "Das voraussichtliche Datum muss nach heute liegen." in html
        assert f">{reason}</textarea>" in html and f'value="{refused_day.isoformat()}"' in html
    assert only_feedback(app).close_by == feedback.close_by

    until = original + timedelta(days=10)
    with client.post(
        f"/admin/entries/{feedback.id}/interim",
        data={"reason": reason, "until": until.isoformat(), "csrf_token": token},
    ) as response:
        assert response.status_code == 303
    text, _html = plain_and_html(smtp.recorder.messages[-1])
    assert f"voraussichtlich bis zum {until.day}. " in text and str(until.year) in text
    assert only_feedback(app).close_by.astimezone(BERLIN).date() == until
    page = client.get(f"/admin/entries/{feedback.id}").get_data(as_text=True)
    assert f"Abschluss bis</dt><dd>{until:%d.%m.%Y}</dd>" in page
    assert f"Abschlussfrist: {original:%d.%m.%Y} → {until:%d.%m.%Y}" in page


def test_interim_reply_needs_an_email_and_an_open_entry(app, accounts):
    post_feedback(app.test_client(), email=None)
    with app.app_context():
        from admin.accounts.models import User
        from admin.mail.service import MailActionError

        feedback = db.session.scalars(select(Feedback)).one()
        user = db.session.scalars(select(User).where(User.name == "krm")).one()
        with pytest.raises(MailActionError, match="keine E-Mail-Adresse"):
            queue_interim(
                db.session,
                feedback,
                reason="Grund",
                until=date.today() + timedelta(days=7),
                config=MailConfig.from_config(app.config),
                actor=user,
                now=datetime.now(UTC),
            )


# --- the digest -------------------------------------------------------------------------------


def test_digest_goes_to_the_officers_with_counts_references_and_links_only(app, smtp):
    client = app.test_client()
    post_feedback(client, lang="de")
    post_feedback(client, lang="en", email=None, text="Die Wartezeit im Eingangsbereich war lang")
    with app.app_context():
        overdue = db.session.scalars(select(Feedback).order_by(Feedback.id)).first()
        overdue.close_by = datetime.now(UTC) - timedelta(days=1)
        soon = db.session.scalars(select(Feedback).order_by(Feedback.id.desc())).first()
        soon.close_by = datetime.now(UTC) + timedelta(hours=1)
        db.session.commit()
        overdue_id, soon_id = overdue.id, soon.id
    smtp.recorder.envelopes.clear()

    result = app.test_cli_runner().invoke(args=["mail", "digest"])
    assert result.exit_code == 0, result.output
    assert "Tagesübersicht an 2 Adresse(n)" in result.output
    assert sorted(r for e in smtp.recorder.envelopes for r in e.rcpt_tos) == sorted(OFFICERS)
    message = smtp.recorder.messages[0]
    assert "2 neu" in message["Subject"] and "1 überfällig" in message["Subject"]
    assert message["Auto-Submitted"] == "auto-generated"
    text, html = plain_and_html(message)
    link = f"https://krm.jobcenter-musterstadt.example/admin/entries/{overdue_id}"
    assert f"KRM-{overdue_id}" in text and link in text
    assert f'href="{link}"' in html
    assert "Überfällig: 1" in text
    assert "Frist heute oder morgen: 1" in text and f"KRM-{soon_id} (Sichtung bis" in text
    for part in (text, html, str(message)):
        assert "Özdemir" not in part and "Wartezeit im Eingangsbereich" not in part
        assert CITIZEN not in part

    again = app.test_cli_runner().invoke(args=["mail", "digest"])
    assert "schon verschickt" in again.output
    assert len(smtp.recorder.envelopes) == 2


def test_digest_needs_notify_addresses(make_app, smtp):
    app = make_app(**mail_settings(smtp.port, MAIL_NOTIFY=None))
    result = app.test_cli_runner().invoke(args=["mail", "digest"])
    assert result.exit_code != 0 and "KRM_MAIL_NOTIFY" in result.output


def test_history_names_the_mail_events(app, smtp, accounts):
    post_feedback(app.test_client(), lang="de")
    feedback = only_feedback(app)
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.feedback_id == feedback.id)
        ).all()
    assert actions == ["acknowledged by mail"]
    client = app.test_client()
    login(client, "krm")
    page = client.get(f"/admin/entries/{feedback.id}").get_data(as_text=True)
    assert "Eingangsbestätigung per E-Mail gesendet" in page
    assert feedback.status == Status.NEW


def test_the_form_cannot_flood_a_mailbox_with_acknowledgements(app, smtp):
    client = app.test_client()
    for number in range(5):
        post_feedback(client, lang="de", text=f"Nachricht Nummer {number}")
    assert len(stored := outbox(app)) == 3
    assert len(smtp.recorder.envelopes) == 3
    with app.app_context():
        assert db.session.query(Feedback).count() == 5  # every word is kept all the same
    assert all(row.status == MailStatus.SENT for row in stored)


def test_starttls_and_login_before_anything_is_sent(make_app, tmp_path):
    import ssl

    from aiosmtpd.smtp import AuthResult

    cert_file, key_file = self_signed_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((mechanism, auth_data.login, auth_data.password, session.ssl is not None))
        return AuthResult(success=auth_data.password == b"geheim")

    recorder = Recorder()
    port = free_port()
    controller = Controller(
        recorder,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
    )
    controller.start()
    try:
        settings = mail_settings(
            port,
            MAIL_USE_TLS=True,
            MAIL_CA_FILE=str(cert_file),
            MAIL_USERNAME="krm-mailer",
            MAIL_PASSWORD="geheim",
        )
        app = make_app(**settings)
        post_feedback(app.test_client())
    finally:
        controller.stop()
    assert [e.rcpt_tos for e in recorder.envelopes] == [[CITIZEN]]
    assert logins[0][1:] == (b"krm-mailer", b"geheim", True)  # only over TLS
    assert outbox(app)[0].status == MailStatus.SENT


def test_officer_sends_now_discards_and_finds_it_in_the_protokoll(make_app):
    app = make_app(**mail_settings(free_port()))  # a server that is away
    post_feedback(app.test_client())
    client = app.test_client()
    with app.app_context():
        from admin.accounts.service import add_user
        from portal.vocab import Role

        add_user(db.session, "chefin", PASSWORD, Role.KRM, actor="test", now=datetime.now(UTC))
        db.session.commit()
    login(client, "chefin")
    page = client.get("/admin/mail/").get_data(as_text=True)
    assert "1 warten auf den Versand, 0 fehlgeschlagen" in page
    assert "Der Mailserver ist nicht erreichbar" in page
    token = csrf_token(client, "/admin/mail/")
    sent = client.post("/admin/mail/send", data={"csrf_token": token}, follow_redirects=True)
    assert "0 gesendet, 1 warten auf einen neuen Versuch" in sent.get_data(as_text=True)
    [row] = outbox(app)
    assert row.attempts == 2
    client.post(f"/admin/mail/messages/{row.id}/discard", data={"csrf_token": token})
    [row] = outbox(app)
    assert row.status == MailStatus.CANCELLED and row.recipient is None
    log = client.get("/admin/audit/?section=mail").get_data(as_text=True)
    assert "E-Mail verworfen" in log


def test_retention_helpers_remove_finished_messages_and_those_of_purged_entries(app, smtp):
    from portal.mail.outbox import forget_feedback, purge_outbox

    client = app.test_client()
    post_feedback(client)  # sent
    with app.app_context():
        stored = submit_feedback(
            db.session,
            Submission(channel=Channel.HOMEPAGE, language="de", rating=1, contact_email=CITIZEN),
            now=datetime.now(UTC),
            rules=Rules(acknowledge_by_mail=True),
        )  # waiting
        db.session.commit()
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        assert purge_outbox(db.session, before=tomorrow) == 1  # only the finished one
        assert forget_feedback(db.session, [stored.feedback_id]) == 1
        db.session.commit()
    assert outbox(app) == []


def test_a_real_server_answers_the_citizen_before_the_mail_goes_out(app, smtp):
    """Over a real WSGI server: the 303 arrives while the SMTP server still holds the message."""
    import asyncio
    import http.client
    import time
    from urllib.parse import urlencode

    from werkzeug.serving import make_server

    release = threading.Event()
    receive = smtp.recorder.handle_DATA

    async def slow_data(server, session, envelope):
        await asyncio.to_thread(release.wait, 10)
        return await receive(server, session, envelope)

    smtp.recorder.handle_DATA = slow_data
    web = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=web.serve_forever, daemon=True)
    thread.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", web.port, timeout=10)
        body = urlencode(
            {"rating": "2", "text": SECRET_TEXT, "contact_email": CITIZEN, "consent": "y"}
        )
        connection.request(
            "POST", "/submit", body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        response = connection.getresponse()
        response.read()
        assert response.status == 303
        assert smtp.recorder.envelopes == []  # the mail is still on its way
        release.set()
        deadline = time.monotonic() + 10
        while not smtp.recorder.envelopes and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        release.set()
        web.shutdown()
        thread.join(10)
    assert [e.rcpt_tos for e in smtp.recorder.envelopes] == [[CITIZEN]]
