"""``krm privacy remask``: today's rules applied to texts stored under older ones.

The rows are written directly, as older versions of the portal stored them (masked by the rules
of their day, or not at all), on SQLite and PostgreSQL; the search goes through the inbox page.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from admin.google.models import GoogleReview
from admin.retention.remask import remask
from portal.audit import AuditEvent
from portal.db import utcnow
from portal.extensions import db
from portal.feedback import Feedback
from portal.vocab import Channel

pytestmark = pytest.mark.engines

ROW = re.compile(r'<th scope="row"><a href="/admin/entries/(\d+)">')
OLD_TEXT = (
    "Mein Name ist Jana Beispiel, geboren am 14.07.1979, Steuer-ID 36 574 261 809. "
    "Rückruf unter [Telefonnummer entfernt]. Frau Schneider aus Team 3 war freundlich."
)
MASKED_TEXT = (
    "Mein Name ist [Name entfernt], geboren am [Geburtsdatum entfernt], Steuer-ID "
    "[Steuer-ID entfernt]. Rückruf unter [Telefonnummer entfernt]. Frau Schneider aus Team 3 "
    "war freundlich."
)
CLEAN_TEXT = "Lange Wartezeit am Empfang, Termin am 12.03.2026."


def store_raw(app, *texts: str | None) -> list[int]:
    """Rows as an older version stored them: the text as given, no masking now."""
    now = utcnow()
    with app.app_context():
        rows = [
            Feedback(
                channel=Channel.HOMEPAGE,
                language="de",
                text=text,
                received_at=now,
                close_by=now + timedelta(days=30),
                updated_at=now - timedelta(days=1),
            )
            for text in texts
        ]
        db.session.add_all(rows)
        db.session.commit()
        return [row.id for row in rows]


def texts(app) -> list[str | None]:
    with app.app_context():
        return list(db.session.scalars(select(Feedback.text).order_by(Feedback.id)))


def remask_events(app) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).where(AuditEvent.action == "privacy: texts masked again")
        return list(db.session.scalars(query))


def found(client, q: str) -> list[int]:
    page = client.get("/admin/", query_string={"q": q})
    assert page.status_code == 200
    return [int(number) for number in ROW.findall(page.get_data(as_text=True))]


def test_a_dry_run_counts_per_kind_and_changes_nothing(app, runner):
    store_raw(app, OLD_TEXT, CLEAN_TEXT, None)

    result = runner.invoke(args=["privacy", "remask", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "Dry run, nothing changed. 2 texts checked, 1 would be masked again:" in result.output
    assert "  Geburtsdatum: 1" in result.output
    assert "  Steuer-ID: 1" in result.output
    assert "  Name: 1" in result.output
    assert "Telefonnummer" not in result.output  # masked already, nothing new
    for datum in ("Jana", "Beispiel", "14.07.1979", "36 574 261 809"):
        assert datum not in result.output
    assert texts(app) == [OLD_TEXT, CLEAN_TEXT, None]
    assert remask_events(app) == []


def test_the_run_masks_audits_and_keeps_the_search_in_step(app, runner, krm_client):
    old, clean = store_raw(app, OLD_TEXT, CLEAN_TEXT)
    assert found(krm_client, "Beispiel") == [old]
    assert found(krm_client, "Geburtsdatum") == []

    result = runner.invoke(args=["privacy", "remask"])

    assert result.exit_code == 0, result.output
    assert "2 texts checked, 1 masked again:" in result.output
    assert texts(app) == [MASKED_TEXT, CLEAN_TEXT]
    with app.app_context():
        entry = db.session.get(Feedback, old)
        assert entry.text_masked
        assert entry.updated_at > utcnow() - timedelta(minutes=5)  # the export sends it again
        assert not db.session.get(Feedback, clean).text_masked
    [event] = remask_events(app)
    assert event.actor == "krm (CLI)" and event.subject == "privacy"
    assert event.details == {
        "checked": 2,
        "remasked": 1,
        "birth_date": 1,
        "tax_id": 1,
        "name": 1,
    }
    assert found(krm_client, "Beispiel") == []
    assert found(krm_client, "Geburtsdatum") == [old]
    assert found(krm_client, "Wartezeit") == [clean]

    again = runner.invoke(args=["privacy", "remask"])
    assert "2 texts checked, 0 masked again:" in again.output
    assert "nothing to mask." in again.output
    assert len(remask_events(app)) == 1


def test_a_google_reviewers_name_is_masked_in_the_stored_comment(app):
    [entry_id] = store_raw(app, "Erika hier: Wartezeit 2 Stunden. Danke an Frau Schneider!")
    now = utcnow()
    with app.app_context():
        db.session.add(
            GoogleReview(
                name="accounts/1/locations/2/reviews/r1",
                location="locations/2",
                review_id="r1",
                feedback_id=entry_id,
                stars=2,
                reviewer_name="Erika Mustermann",
                created_at=now,
                updated_at=now,
            )
        )
        db.session.commit()
        result = remask(db.session, now=now, actor="test")
        db.session.commit()
    assert result.counts() == {"name": 1}
    assert texts(app) == ["[Name entfernt] hier: Wartezeit 2 Stunden. Danke an Frau Schneider!"]


def test_the_rows_are_read_in_batches(app):
    store_raw(app, *[f"Eintrag {n}: Jahrgang 19{60 + n}" for n in range(5)], CLEAN_TEXT)
    batches: list[int] = []
    with app.app_context():
        result = remask(
            db.session, now=utcnow(), actor="test", batch_size=2, progress=batches.append
        )
        db.session.commit()
    assert batches == [2, 2, 2]
    assert (result.checked, result.changed, result.counts()) == (6, 5, {"birth_date": 5})
    assert texts(app)[:5] == [f"Eintrag {n}: Jahrgang [Geburtsdatum entfernt]" for n in range(5)]


def test_without_a_terminal_progress_is_plain_lines(app, runner):
    store_raw(app, *[CLEAN_TEXT] * 3)
    result = runner.invoke(args=["privacy", "remask"])
    assert result.exit_code == 0, result.output
    assert "checking texts: 0 of 3 (0 %)" in result.output
    assert "checking texts: 3 done" in result.output


def test_the_protokoll_shows_the_run_in_words(app, runner, krm_client):
    store_raw(app, OLD_TEXT)
    assert runner.invoke(args=["privacy", "remask"]).exit_code == 0
    html = krm_client.get("/admin/audit/").get_data(as_text=True)
    assert "Gespeicherte Texte nach den aktuellen Regeln maskiert" in html
    for words in ("Texte geprüft", "Texte neu maskiert", "Geburtsdatum", "Steuer-ID"):
        assert words in html
    assert "Beispiel" not in html and "14.07.1979" not in html
