"""The retention purge: closed entries lose free text, contact data and notes, figures stay."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import csrf_token
from sqlalchemy import func, select, text

from admin.accounts.models import User
from admin.google.models import GoogleReview
from admin.inbox.models import Concern, Note
from admin.inbox.triage import add_note
from admin.reports.figures import annual_report
from admin.retention.service import PURGED, RetentionError, cutoff_for, purge
from portal import search_index
from portal.audit import AuditEvent
from portal.db import utcnow
from portal.extensions import db
from portal.feedback import Feedback
from portal.mail.outbox import OutboxMessage
from portal.submissions import Submission, submit_feedback
from portal.vocab import Area, Assessment, Channel, ConcernKind, Kind, MailKind, MailStatus, Status

MONTH = timedelta(days=31)
# Each entry: (name, received, status, closed or marked months ago); texts carry a unique word.
ENTRIES = [
    ("old_done", 30, Status.DONE, 29),
    ("old_spam", 28, Status.SPAM, 27),
    ("recent_done", 8, Status.DONE, 7),
    ("old_open", 30, Status.IN_PROGRESS, None),
    ("old_new", 26, Status.NEW, None),
    ("old_google", 27, Status.DONE, 26),
]


def _entries(app, now: datetime) -> dict[str, int]:
    """One entry per row of ENTRIES, with text, contact, an Anliegen, a note; ids by name."""
    ids = {}
    with app.app_context():
        officer = db.session.scalar(select(User).where(User.name == "krm"))
        for number, (name, received_months, status, closed_months) in enumerate(ENTRIES):
            received = now - received_months * MONTH
            stored = submit_feedback(
                db.session,
                Submission(
                    channel=Channel.SOCIAL_MEDIA if name == "old_google" else Channel.HOMEPAGE,
                    language="de",
                    rating=1 + number % 5,
                    kind=Kind.CRITICISM,
                    area=Area.BENEFITS,
                    text=f"Wort{name.replace('_', '')} und die Wartezeit im Amt",
                    contact_email=f"person{number}@example.org",
                ),
                now=received,
            )
            entry = db.session.get(Feedback, stored.feedback_id)
            entry.concerns.append(
                Concern(
                    position=1,
                    kind=ConcernKind.COMPLAINT,
                    area=Area.BENEFITS,
                    assessment=Assessment.JUSTIFIED,
                )
            )
            add_note(
                db.session, entry, f"Notiz{name.replace('_', '')}", actor=officer, now=received
            )
            entry.status = status
            if closed_months is not None:
                closed = now - closed_months * MONTH
                entry.closed_at = closed if status == Status.DONE else None
                entry.updated_at = closed
            if name == "old_google":
                db.session.add(
                    GoogleReview(
                        name="accounts/1/locations/2/reviews/r1",
                        location="locations/2",
                        review_id="r1",
                        feedback_id=entry.id,
                        stars=2,
                        reviewer_name="Erika Mustermann",
                        created_at=received,
                        updated_at=received,
                        draft_text="Liebe Erika Mustermann, danke.",
                        reply_text="Danke für Ihre Rückmeldung.",
                    )
                )
            ids[name] = entry.id
        db.session.commit()
    return ids


def _reports(app, now: datetime) -> list:
    with app.app_context():
        years = range((now - 31 * MONTH).year, now.year + 1)
        return [annual_report(db.session, year, now).figures for year in years]


def _dump(app) -> str:
    """Every row of the database, as SQL."""
    path = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    connection = sqlite3.connect(path)
    try:
        return "\n".join(connection.iterdump())
    finally:
        connection.close()


def _entry(app, entry_id: int) -> Feedback:
    with app.app_context():
        return db.session.get(Feedback, entry_id)


def test_the_cutoff_counts_calendar_months():
    now = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    assert cutoff_for(now, 24) == datetime(2024, 3, 31, 12, 0, tzinfo=UTC)
    assert cutoff_for(now, 1) == datetime(2026, 2, 28, 12, 0, tzinfo=UTC)
    assert cutoff_for(now, 25) == datetime(2024, 2, 29, 12, 0, tzinfo=UTC)
    assert cutoff_for(datetime(2026, 1, 15, tzinfo=UTC), 13) == datetime(2024, 12, 15, tzinfo=UTC)
    for months in (0, -1, "24", True):
        with pytest.raises(RetentionError):
            cutoff_for(now, months)


def test_a_dry_run_counts_and_changes_nothing(app, accounts):
    ids = _entries(app, utcnow())
    before = _dump(app)

    result = app.test_cli_runner().invoke(args=["purge", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "Dry run, nothing changed. 3 entries closed before" in result.output
    assert "(KRM_RETENTION_MONTHS=24), would be purged:" in result.output
    assert "3 texts, 3 contacts, 3 notes, 1 Google reviewer names or reply drafts." in result.output
    assert _dump(app) == before
    assert _entry(app, ids["old_done"]).text.startswith("Wortolddone")


def test_purge_removes_text_contact_and_notes_of_old_closed_entries_only(app, accounts):
    now = utcnow()
    ids = _entries(app, now)
    reports_before = _reports(app, now)

    result = app.test_cli_runner().invoke(args=["purge"])

    assert result.exit_code == 0, result.output
    assert "3 entries closed before" in result.output and "purged:" in result.output
    assert "Purging entries: 0 of 3 (0 %)" in result.output
    assert "Purging entries: 3 done" in result.output
    with app.app_context():
        for name in ("old_done", "old_spam", "old_google"):
            entry = db.session.get(Feedback, ids[name])
            assert entry.text is None and entry.duplicate_key is None
            assert entry.contact_email is None and entry.contact_phone is None
            assert entry.notes == []
            assert entry.purged_at is not None
            # What the reports and the export count stays.
            assert entry.rating and entry.kind is Kind.CRITICISM and entry.area is Area.BENEFITS
            assert entry.wants_answer and entry.close_by and entry.acknowledge_by
            assert [c.kind for c in entry.concerns] == [ConcernKind.COMPLAINT]
        for name in ("recent_done", "old_open", "old_new"):
            entry = db.session.get(Feedback, ids[name])
            assert entry.text.startswith("Wort") and entry.contact_email
            assert len(entry.notes) == 1 and entry.purged_at is None
        review = db.session.scalars(select(GoogleReview)).one()
        assert review.reviewer_name is None and review.draft_text is None
        assert review.reply_text == "Danke für Ihre Rückmeldung."  # the office's public answer
        quoted = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "note added")
        ).all()
        notes = {event.feedback_id: event.details["note"][1] for event in quoted}
        assert notes[ids["old_done"]] == PURGED
        assert notes[ids["recent_done"]] == "Notizrecentdone"
        [event] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "entries purged")
        )
        assert event.actor == "krm (CLI)"
        assert event.details | {"cutoff": None} == {
            "cutoff": None,
            "months": 24,
            "entries": 3,
            "texts": 3,
            "contacts": 3,
            "notes": 3,
            "google_reviews": 1,
        }
        assert db.session.scalar(select(func.count(Note.id))) == 3
    assert _reports(app, now) == reports_before

    again = app.test_cli_runner().invoke(args=["purge"])
    assert "0 entries closed before" in again.output


def test_the_purged_text_leaves_no_trace_in_search_or_in_the_database_files(app, accounts):
    ids = _entries(app, utcnow())
    with app.app_context():
        search_index.catch_up(db.engine)  # the entries were indexed long before their purge
    assert app.test_cli_runner().invoke(args=["purge"]).exit_code == 0

    with app.app_context():
        search_index.catch_up(db.session)  # as every search does first
        matches = db.session.execute(
            text("SELECT rowid FROM feedback_fts WHERE feedback_fts MATCH 'wortolddone'")
        ).all()
        assert matches == []
        still = db.session.execute(
            text("SELECT rowid FROM feedback_fts WHERE feedback_fts MATCH 'wortrecentdone'")
        ).scalars()
        assert list(still) == [ids["recent_done"]]
        db.engine.dispose()
    path = Path(app.config["DATABASE_URL"].removeprefix("sqlite:///"))
    files = [path, path.with_name(path.name + "-wal")]
    content = b"".join(name.read_bytes() for name in files if name.exists()).lower()
    for word in (b"wortolddone", b"wortoldspam", b"person0@", b"erika", b"notizoldgoogle"):
        assert word not in content
    assert b"wortrecentdone" in content


def test_the_entry_page_says_the_text_was_purged(app, accounts, krm_client):
    ids = _entries(app, utcnow())
    purge_now(app)

    page = krm_client.get(f"/admin/entries/{ids['old_done']}").get_data(as_text=True)
    assert "Text nach Ablauf der Aufbewahrungsfrist gelöscht (am " in page
    assert "person0@example.org" not in page and "Notizolddone" not in page
    assert "nach Ablauf der Aufbewahrungsfrist gelöscht" in page  # the history's note line
    inbox = krm_client.get("/admin/?status=erledigt").get_data(as_text=True)
    assert "Text gelöscht (Aufbewahrungsfrist)" in inbox
    recent = krm_client.get(f"/admin/entries/{ids['recent_done']}").get_data(as_text=True)
    assert "Wortrecentdone" in recent and "Aufbewahrungsfrist" not in recent
    log = krm_client.get("/admin/audit/").get_data(as_text=True)
    assert "Aufbewahrungsfrist: Texte und Kontaktdaten gelöscht" in log


def purge_now(app, months: int = 24):
    with app.app_context():
        result = purge(db.session, now=utcnow(), months=months, actor="test")
        db.session.commit()
    return result


def test_the_setting_decides_the_period(make_app):
    app = make_app(RETENTION_MONTHS=6)
    from admin.accounts.service import add_user
    from portal.vocab import Role

    with app.app_context():
        add_user(db.session, "krm", "x" * 20, Role.KRM, actor="test", now=utcnow())
        db.session.commit()
    ids = _entries(app, utcnow())
    result = app.test_cli_runner().invoke(args=["purge"])
    assert "4 entries closed before" in result.output
    assert _entry(app, ids["recent_done"]).purged_at is not None
    assert _entry(app, ids["old_open"]).purged_at is None

    refused = make_app(RETENTION_MONTHS=0).test_cli_runner().invoke(args=["purge"])
    assert refused.exit_code != 0
    assert "KRM_RETENTION_MONTHS muss eine ganze Zahl ab 1 sein" in refused.output


def test_a_reopened_and_closed_again_entry_counts_from_its_new_closing(app, accounts, krm_client):
    ids = _entries(app, utcnow())
    token = csrf_token(krm_client, f"/admin/entries/{ids['old_done']}")
    data = {
        "csrf_token": token,
        "status": "in_bearbeitung",
        "concerns-0-kind": "fachliche_beschwerde",
        "concerns-0-area": "leistung",
        "concerns-0-assessment": "begruendet",
    }
    assert krm_client.post(f"/admin/entries/{ids['old_done']}", data=data).status_code == 303
    assert purge_now(app).entries == 2
    assert _entry(app, ids["old_done"]).text.startswith("Wortolddone")


def test_purge_removes_the_outbox_mails_of_purged_entries(app, accounts):
    """A queued or failed e-mail still holds the address: it goes with the entry's contact."""
    now = utcnow()
    ids = _entries(app, now)
    with app.app_context():
        for name in ("old_done", "recent_done"):
            db.session.add(
                OutboxMessage(
                    kind=MailKind.ACKNOWLEDGEMENT,
                    status=MailStatus.FAILED,
                    feedback_id=ids[name],
                    recipient=f"{name}@example.org",
                    language="de",
                    token=name.replace("_", ""),
                    created_at=now - MONTH,
                )
            )
        db.session.commit()

    assert app.test_cli_runner().invoke(args=["purge"]).exit_code == 0

    with app.app_context():
        left = db.session.scalars(select(OutboxMessage.recipient)).all()
    assert left == ["recent_done@example.org"]
