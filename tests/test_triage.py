"""The entry page and bulk actions: classify, close, notes, acknowledgement, team, audit, CSRF."""

from __future__ import annotations

import json
import re

import pytest
from conftest import csrf_token, login
from sqlalchemy import select

from admin.accounts.models import Team, User
from admin.inbox.models import Concern, Topic
from admin.inbox.triage import (
    ConcernInput,
    EntryChanges,
    TriageError,
    concern_problem,
    update_entry,
)
from portal.audit import AuditEvent
from portal.db import utcnow
from portal.extensions import db
from portal.feedback import Feedback
from portal.submissions import Submission, submit_feedback
from portal.vocab import Area, Assessment, Channel, ConcernKind, Kind, Status

pytestmark = pytest.mark.engines


def add(app, **fields) -> int:
    fields.setdefault("channel", Channel.HOMEPAGE)
    fields.setdefault("language", "de")
    with app.app_context():
        stored = submit_feedback(db.session, Submission(**fields), now=utcnow())
        db.session.commit()
        return stored.feedback_id


def edit(app, entry_id: int, **values) -> None:
    with app.app_context():
        feedback = db.session.get(Feedback, entry_id)
        for name, value in values.items():
            setattr(feedback, name, value)
        db.session.commit()


def entry(app, entry_id: int) -> Feedback:
    """The entry with its Anliegen, notes and team, read back through a new session."""
    with app.app_context():
        feedback = db.session.get(Feedback, entry_id)
        _ = feedback.concerns, feedback.notes, feedback.team
        for concern in feedback.concerns:
            _ = concern.topic
        return feedback


def events(app, entry_id: int) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).where(AuditEvent.feedback_id == entry_id)
        return list(db.session.scalars(query.order_by(AuditEvent.id)))


def ident(app, model, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(model.id).where(model.name == name))


def client_of(app, name: str):
    client = app.test_client()
    assert login(client, name).status_code == 303
    return client


def form(token: str, *rows: tuple[str, str, str, str], **fields) -> dict[str, str]:
    """The entry form as a browser sends it: three Anliegen rows (empty ones too)."""
    data = {"csrf_token": token, "status": "neu", **fields}
    padded = list(rows) + [("", "", "", "")] * (3 - len(rows))
    for index, (kind, area, topic, assessment) in enumerate(padded):
        data |= {
            f"concerns-{index}-kind": kind,
            f"concerns-{index}-area": area,
            f"concerns-{index}-topic": topic,
            f"concerns-{index}-assessment": assessment,
        }
    return data


@pytest.fixture
def topics(app):
    return {name: str(ident(app, Topic, name)) for name in ("Bearbeitungsdauer", "Wartezeit")}


@pytest.fixture
def critic(app, accounts) -> int:
    return add(
        app, text="Seit sechs Wochen keine Antwort, Wartezeit am Telefon", kind=Kind.CRITICISM
    )


# --- classification ----------------------------------------------------------------------------


def test_three_anliegen_are_stored_in_order_and_audited(app, krm_client, critic, topics):
    token = csrf_token(krm_client)
    response = krm_client.post(
        f"/admin/entries/{critic}",
        data=form(
            token,
            ("fachliche_beschwerde", "leistung", topics["Bearbeitungsdauer"], "begruendet"),
            ("idee_anregung", "organisation", topics["Wartezeit"], ""),
            ("dienstaufsichtsbeschwerde", "mitarbeiter", "", "nicht_bewertbar"),
            status="in_bearbeitung",
            ombudsstelle="y",
        ),
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/admin/entries/{critic}")
    stored = entry(app, critic)
    assert [(c.position, c.kind, c.area) for c in stored.concerns] == [
        (1, ConcernKind.COMPLAINT, Area.BENEFITS),
        (2, ConcernKind.IDEA, Area.ORGANISATION),
        (3, ConcernKind.CONDUCT, Area.STAFF),
    ]
    assert stored.concerns[0].topic.name == "Bearbeitungsdauer"
    assert stored.concerns[0].assessment == Assessment.JUSTIFIED
    assert stored.status == Status.IN_PROGRESS and stored.ombudsstelle
    assert stored.updated_at > stored.received_at
    (event,) = events(app, critic)
    assert event.actor == "krm" and event.action == "entry updated"
    assert event.details["status"] == ["neu", "in_bearbeitung"]
    assert event.details["ombudsstelle"] == [False, True]
    assert event.details["concerns"][0] == []
    page = krm_client.get(f"/admin/entries/{critic}").get_data(as_text=True)
    assert "Änderungen gespeichert." in page
    history = page.split('id="history-title"')[1]
    assert "krm: geändert" in history
    assert "Status: neu → in Bearbeitung" in history
    assert "Ombudsstelle: nein → ja" in history
    assert (
        "Anliegen: keine → Fachliche Beschwerde, Leistungsbereich / Grundsicherung, "
        "Bearbeitungsdauer, begründet; Idee/Anregung" in history
    )


def test_empty_rows_are_ignored_and_positions_close_up(app, krm_client, critic):
    token = csrf_token(krm_client)
    data = form(token, ("", "", "", ""), ("lob", "", "", ""))
    assert krm_client.post(f"/admin/entries/{critic}", data=data).status_code == 303
    assert [(c.position, c.kind) for c in entry(app, critic).concerns] == [(1, ConcernKind.PRAISE)]
    # removing it again
    assert krm_client.post(f"/admin/entries/{critic}", data=form(token)).status_code == 303
    assert entry(app, critic).concerns == []


def test_a_complaint_needs_an_assessment_and_nothing_typed_is_lost(app, krm_client, critic, topics):
    token = csrf_token(krm_client)
    response = krm_client.post(
        f"/admin/entries/{critic}",
        data=form(
            token,
            ("idee_anregung", "kommunal", topics["Wartezeit"], ""),
            ("fachliche_beschwerde", "vermittlung", topics["Bearbeitungsdauer"], ""),
            status="in_bearbeitung",
            ombudsstelle="y",
        ),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<div class="error-summary"' in html
    assert '<a href="#concerns-1-assessment">Anliegen 2, Bewertung:' in html
    assert 'id="concerns-1-assessment-error"' in html
    for name, value in (
        ("concerns-0-kind", "idee_anregung"),
        ("concerns-0-area", "kommunal"),
        ("concerns-0-topic", topics["Wartezeit"]),
        ("concerns-1-kind", "fachliche_beschwerde"),
        ("concerns-1-area", "vermittlung"),
        ("concerns-1-topic", topics["Bearbeitungsdauer"]),
        ("status", "in_bearbeitung"),
    ):
        chosen = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
        assert f'<option value="{value}" selected>' in chosen, name
    assert re.search(r'name="ombudsstelle" value="y" checked', html)
    assert entry(app, critic).concerns == [] and events(app, critic) == []


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (("lob", "", "", "begruendet"), "Nur Beschwerden werden bewertet"),
        (("dienstaufsichtsbeschwerde", "", "", "begruendet"), "nicht bewertbar"),
        (("", "leistung", "", ""), "Bitte wählen Sie die Anliegensart"),
        (("erfunden", "", "", ""), "Keine gültige Auswahl"),
    ],
)
def test_wrong_anliegen_are_refused(app, krm_client, critic, row, message):
    response = krm_client.post(f"/admin/entries/{critic}", data=form(csrf_token(krm_client), row))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert entry(app, critic).concerns == []


def test_the_rules_as_functions():
    assert concern_problem(ConcernKind.COMPLAINT, None)
    assert concern_problem(ConcernKind.COMPLAINT, Assessment.UNJUSTIFIED) is None
    assert concern_problem(ConcernKind.PRAISE, Assessment.JUSTIFIED)
    assert concern_problem(ConcernKind.PETITION, None) is None
    assert concern_problem(ConcernKind.CONDUCT, Assessment.NOT_ASSESSABLE) is None


# --- status ------------------------------------------------------------------------------------


def test_closing_needs_an_anliegen_but_spam_does_not(app, krm_client, critic):
    token = csrf_token(krm_client)
    refused = krm_client.post(f"/admin/entries/{critic}", data=form(token, status="erledigt"))
    assert refused.status_code == 422
    assert "mindestens ein Anliegen" in refused.get_data(as_text=True)
    assert entry(app, critic).status == Status.NEW
    spam = krm_client.post(f"/admin/entries/{critic}", data=form(token, status="spam"))
    assert spam.status_code == 303
    assert entry(app, critic).status == Status.SPAM and entry(app, critic).closed_at is None


def test_closing_sets_closed_at_and_reopening_clears_it(app, krm_client, critic):
    token = csrf_token(krm_client)
    praise = ("lob", "", "", "")
    krm_client.post(f"/admin/entries/{critic}", data=form(token, praise, status="erledigt"))
    closed = entry(app, critic)
    assert closed.status == Status.DONE and closed.closed_at is not None
    krm_client.post(f"/admin/entries/{critic}", data=form(token, praise, status="in_bearbeitung"))
    reopened = entry(app, critic)
    assert reopened.status == Status.IN_PROGRESS and reopened.closed_at is None
    changes = [event.details for event in events(app, critic)]
    assert changes[0]["status"] == ["neu", "erledigt"] and changes[0]["closed_at"][0] is None
    assert changes[1]["status"] == ["erledigt", "in_bearbeitung"]
    assert changes[1]["closed_at"][1] is None
    history = krm_client.get(f"/admin/entries/{critic}").get_data(as_text=True)
    assert "Status: erledigt → in Bearbeitung" in history
    assert "Erledigt am: –" in history


def test_saving_without_changes_records_nothing(app, krm_client, critic):
    response = krm_client.post(f"/admin/entries/{critic}", data=form(csrf_token(krm_client)))
    assert response.status_code == 303
    assert events(app, critic) == []
    assert "Es gab nichts zu ändern." in krm_client.get(response.headers["Location"]).text


# --- entry page, notes, acknowledgement --------------------------------------------------------


def test_the_entry_page_shows_everything_known(app, krm_client):
    entry_id = add(
        app,
        text="Rufen Sie mich an: 0151 23456789",
        rating=2,
        kind=Kind.CRITICISM,
        area=Area.MUNICIPAL,
        contact_email="kundin@example.org",
    )
    html = krm_client.get(f"/admin/entries/{entry_id}").get_data(as_text=True)
    assert '<div class="feedback-text">' in html
    assert "Persönliche Daten wurden vor dem Speichern unkenntlich gemacht." in html
    assert "kundin@example.org" in html and "Einwilligung am" in html
    assert "Eingangsbestätigung bis" in html and "Abschluss bis" in html
    assert "2 – unzufrieden" in html and "Kommunale Leistungen" in html
    assert "Eingangsbestätigung erledigt" in html
    anonymous = add(app, text="Alles gut")
    html = krm_client.get(f"/admin/entries/{anonymous}").get_data(as_text=True)
    assert "E-Mail" not in html.split("<h1")[1] and "unkenntlich" not in html
    assert "Eingangsbestätigung erledigt" not in html


def test_notes_are_added_and_audited(app, krm_client, critic):
    token = csrf_token(krm_client)
    response = krm_client.post(
        f"/admin/entries/{critic}/notes", data={"csrf_token": token, "note": "Rückruf am Montag"}
    )
    assert response.status_code == 303
    (note,) = entry(app, critic).notes
    assert note.text == "Rückruf am Montag"
    (event,) = events(app, critic)
    assert event.action == "note added" and event.details == {"note": [None, "Rückruf am Montag"]}
    html = krm_client.get(f"/admin/entries/{critic}").get_data(as_text=True)
    assert "Rückruf am Montag" in html and "Notiz hinzugefügt" in html


def test_a_refused_note_keeps_its_text(app, krm_client, critic):
    token = csrf_token(krm_client)
    empty = krm_client.post(
        f"/admin/entries/{critic}/notes", data={"csrf_token": token, "note": " "}
    )
    assert empty.status_code == 422 and "Bitte schreiben Sie eine Notiz." in empty.text
    long_note = "Sehr lang " * 600
    refused = krm_client.post(
        f"/admin/entries/{critic}/notes", data={"csrf_token": token, "note": long_note}
    )
    assert refused.status_code == 422
    assert long_note.strip() in refused.text and "höchstens 5000 Zeichen" in refused.text
    assert entry(app, critic).notes == []


def test_the_acknowledgement_is_recorded_with_the_form(app, krm_client):
    entry_id = add(app, text="Bitte antworten", contact_email="kundin@example.org")
    token = csrf_token(krm_client)
    response = krm_client.post(
        f"/admin/entries/{entry_id}",
        data=form(token, status="in_bearbeitung", acknowledge="1"),
    )
    assert response.status_code == 303
    stored = entry(app, entry_id)
    assert stored.acknowledged_at is not None and stored.status == Status.IN_PROGRESS
    (event,) = events(app, entry_id)
    assert event.details["acknowledged_at"][0] is None
    html = krm_client.get(f"/admin/entries/{entry_id}").get_data(as_text=True)
    assert "Eingangsbestätigung erledigt</button>" not in html
    assert "Eingang bestätigt am: – →" in html


def test_no_acknowledgement_where_no_answer_was_requested(app, krm_client, critic):
    response = krm_client.post(
        f"/admin/entries/{critic}", data=form(csrf_token(krm_client), acknowledge="1")
    )
    assert response.status_code == 422
    assert "keine Antwort gewünscht" in response.text
    assert entry(app, critic).acknowledged_at is None


# --- teams -------------------------------------------------------------------------------------


def test_the_krm_assigns_a_team(app, krm_client, critic):
    team3 = str(ident(app, Team, "Team 3"))
    response = krm_client.post(
        f"/admin/entries/{critic}", data=form(csrf_token(krm_client), team=team3)
    )
    assert response.status_code == 303
    assert entry(app, critic).team.name == "Team 3"
    assert events(app, critic)[0].details == {"team": [None, "Team 3"]}
    assert "Team: – → Team 3" in krm_client.get(f"/admin/entries/{critic}").text


def test_a_team_lead_works_on_their_entries_but_cannot_change_the_team(app, accounts, critic):
    edit(app, critic, team_id=ident(app, Team, "Team 3"))
    lead = client_of(app, "lead3")
    team5 = str(ident(app, Team, "Team 5"))
    page = lead.get(f"/admin/entries/{critic}").text
    assert 'name="team"' not in page
    response = lead.post(
        f"/admin/entries/{critic}",
        data=form(csrf_token(lead), ("lob", "", "", ""), status="erledigt", team=team5),
    )
    assert response.status_code == 303
    stored = entry(app, critic)
    assert stored.team.name == "Team 3" and stored.status == Status.DONE
    assert "team" not in events(app, critic)[0].details
    assert events(app, critic)[0].actor == "lead3"


def test_the_service_refuses_a_team_change_by_a_team_lead(app, accounts, critic):
    with app.app_context():
        lead = db.session.scalar(select(User).where(User.name == "lead3"))
        feedback = db.session.get(Feedback, critic)
        changes = EntryChanges(team_id=ident(app, Team, "Team 5"))
        with pytest.raises(TriageError):
            update_entry(db.session, feedback, changes, actor=lead, now=utcnow())
        closing = EntryChanges(status=Status.DONE, concerns=[ConcernInput(ConcernKind.COMPLAINT)])
        with pytest.raises(TriageError):  # a complaint without assessment
            update_entry(db.session, feedback, closing, actor=lead, now=utcnow())


def test_other_teams_entries_are_404_for_a_lead_in_every_way(app, accounts, critic):
    edit(app, critic, team_id=ident(app, Team, "Team 5"))
    lead = client_of(app, "lead3")
    token = csrf_token(lead)
    assert lead.get(f"/admin/entries/{critic}").status_code == 404
    posted = lead.post(f"/admin/entries/{critic}", data=form(token, status="spam"))
    assert posted.status_code == 404
    noted = lead.post(f"/admin/entries/{critic}/notes", data={"csrf_token": token, "note": "x"})
    assert noted.status_code == 404
    assert entry(app, critic).status == Status.NEW and events(app, critic) == []


def test_the_read_role_cannot_post_to_an_entry(app, accounts, critic):
    reader = client_of(app, "reader")
    token = csrf_token(reader, "/admin/reports/")
    response = reader.post(f"/admin/entries/{critic}", data=form(token, status="spam"))
    assert response.status_code == 403
    assert entry(app, critic).status == Status.NEW


# --- bulk --------------------------------------------------------------------------------------


def bulk(client, ids, action, back="status=neu", **extra):
    data = {"csrf_token": csrf_token(client), "ids": [str(i) for i in ids], "action": action}
    return client.post("/admin/entries/bulk", data={**data, "back": back, **extra})


def test_bulk_spam_marks_each_entry_and_returns_to_the_filtered_inbox(app, krm_client, accounts):
    ids = [add(app, text=f"Werbung {n}") for n in range(3)]
    back = "status=neu&kind=kritik&before=2026-01-05T08:00:00%2B00:00,7&evil=1"
    response = bulk(krm_client, ids[:2], "spam", back=back)
    assert response.status_code == 303
    assert response.headers["Location"] == (
        "/admin/?status=neu&kind=kritik&before=2026-01-05T08:00:00%2B00:00,7"
    )
    assert [entry(app, i).status for i in ids] == [Status.SPAM, Status.SPAM, Status.NEW]
    for entry_id in ids[:2]:
        (event,) = events(app, entry_id)
        assert event.action == "bulk: spam" and event.details == {"status": ["neu", "spam"]}
    assert "2 Einträge geändert." in krm_client.get("/admin/").text


def test_bulk_praise_closes_only_praise(app, krm_client, accounts):
    citizen_praise = add(app, text="Danke!", kind=Kind.PRAISE, area=Area.PLACEMENT)
    criticism = add(app, text="Schlecht", kind=Kind.CRITICISM)
    classified = add(app, text="Toll", kind=Kind.SUGGESTION)
    with app.app_context():
        feedback = db.session.get(Feedback, classified)
        feedback.concerns.append(Concern(position=1, kind=ConcernKind.PRAISE, area=Area.STAFF))
        feedback.team_id = ident(app, Team, "Team 3")
        db.session.commit()
    response = bulk(krm_client, [citizen_praise, criticism, classified], "lob")
    assert response.status_code == 303
    first = entry(app, citizen_praise)
    assert first.status == Status.DONE and first.closed_at is not None
    assert [(c.kind, c.area) for c in first.concerns] == [(ConcernKind.PRAISE, Area.PLACEMENT)]
    assert first.notes[0].text == "Lob an den Bereich Arbeitsvermittlung weitergegeben"
    third = entry(app, classified)
    assert third.status == Status.DONE and len(third.concerns) == 1
    assert third.notes[0].text == "Lob an Team 3 weitergegeben"
    untouched = entry(app, criticism)
    assert untouched.status == Status.NEW and untouched.concerns == [] and untouched.notes == []
    assert events(app, criticism) == []
    (event,) = events(app, citizen_praise)
    assert set(event.details) == {"concerns", "status", "closed_at", "note"}
    assert "2 Einträge geändert. 1 nicht geändert" in krm_client.get("/admin/").text


def test_bulk_team_assignment_by_the_krm_only(app, krm_client, accounts):
    ids = [add(app, text=f"Eintrag {n}") for n in range(2)]
    team5 = str(ident(app, Team, "Team 5"))
    assert bulk(krm_client, ids, "team", team=team5).status_code == 303
    assert {entry(app, i).team.name for i in ids} == {"Team 5"}
    assert [events(app, i)[0].details for i in ids] == [{"team": [None, "Team 5"]}] * 2
    edit(app, ids[0], team_id=ident(app, Team, "Team 3"))
    lead = client_of(app, "lead3")
    assert bulk(lead, ids, "team", team=team5).status_code == 403
    assert entry(app, ids[0]).team.name == "Team 3"


def test_bulk_by_a_lead_ignores_other_teams(app, accounts):
    mine, theirs = add(app, text="meins"), add(app, text="fremd")
    edit(app, mine, team_id=ident(app, Team, "Team 3"))
    edit(app, theirs, team_id=ident(app, Team, "Team 5"))
    lead = client_of(app, "lead3")
    assert bulk(lead, [mine, theirs], "spam").status_code == 303
    assert entry(app, mine).status == Status.SPAM
    assert entry(app, theirs).status == Status.NEW and events(app, theirs) == []


def test_a_refused_bulk_action_keeps_the_selection(app, krm_client, accounts):
    ids = [add(app, text=f"Eintrag {n}") for n in range(3)]
    response = bulk(krm_client, ids[:2], "team")  # no team chosen
    assert response.status_code == 422
    html = response.text
    assert "Bitte wählen Sie das Team" in html and '<a href="#bulk-team">' in html
    for entry_id in ids[:2]:
        assert f'value="{entry_id}" id="select-{entry_id}" checked' in html
    assert f'value="{ids[2]}" id="select-{ids[2]}">' in html
    nothing = bulk(krm_client, [], "spam")
    assert nothing.status_code == 422 and "mindestens einen Eintrag" in nothing.text
    assert all(entry(app, i).team is None and entry(app, i).status == Status.NEW for i in ids)


def test_without_a_csrf_token_nothing_changes(app, krm_client, accounts):
    entry_id = add(app, text="Werbung")
    response = krm_client.post(
        "/admin/entries/bulk", data={"ids": [str(entry_id)], "action": "spam"}
    )
    assert response.status_code == 400
    response = krm_client.post(f"/admin/entries/{entry_id}", data={"status": "spam"})
    assert response.status_code == 400
    response = krm_client.post(f"/admin/entries/{entry_id}/notes", data={"note": "x"})
    assert response.status_code == 400
    stored = entry(app, entry_id)
    assert stored.status == Status.NEW and stored.notes == [] and events(app, entry_id) == []


def test_audit_changes_are_plain_json(app, krm_client, critic):
    bulk(krm_client, [critic], "spam")
    with app.app_context():
        raw = db.session.scalar(select(AuditEvent.changes).where(AuditEvent.feedback_id == critic))
    assert json.loads(raw) == {"status": ["neu", "spam"]}


def test_the_history_lists_events_oldest_first(app, krm_client, critic):
    token = csrf_token(krm_client)
    krm_client.post(f"/admin/entries/{critic}/notes", data={"csrf_token": token, "note": "eins"})
    krm_client.post(f"/admin/entries/{critic}", data=form(token, status="in_bearbeitung"))
    html = krm_client.get(f"/admin/entries/{critic}").text.split('id="history-title"')[1]
    assert html.index("Notiz hinzugefügt") < html.index("Status: neu → in Bearbeitung")


# --- the interim reply moves the closing deadline ---------------------------------------------

INBOX_ROW = re.compile(r'<tr( class="is-overdue")?>\s*<td><input[^>]+value="(\d+)"')


def send_interim(app, entry_id: int, *, at, until) -> None:
    """The officer's interim reply as the entry page sends it, at a given time."""
    from admin.mail.service import queue_interim
    from portal.mail.smtp import MailConfig

    config = MailConfig.from_config({"MAIL_SERVER": "127.0.0.1", "MAIL_FROM": "krm@jc.example"})
    with app.app_context():
        officer = db.session.scalars(select(User).where(User.name == "krm")).one()
        queue_interim(
            db.session,
            db.session.get(Feedback, entry_id),
            reason="Wir warten auf die Stellungnahme des Fachbereichs.",
            until=until,
            config=config,
            actor=officer,
            now=at,
        )
        db.session.commit()


def test_an_interim_reply_in_time_moves_the_deadline_and_the_entry_is_not_overdue_before_it(
    app, krm_client
):
    from datetime import timedelta

    from portal.deadlines import end_of_day, local_date

    received = utcnow() - timedelta(days=20)  # the 14 days ended six days ago
    ids = []
    for name in ("in time", "none", "too late"):
        with app.app_context():
            stored = submit_feedback(
                db.session,
                Submission(
                    channel=Channel.HOMEPAGE, language="de", text=name, contact_email="a@b.example"
                ),
                now=received,
            )
            db.session.commit()
        ids.append(stored.feedback_id)
        edit(app, stored.feedback_id, acknowledged_at=received + timedelta(hours=2))
    in_time, without, too_late = ids
    original = entry(app, in_time).close_by
    until = local_date(utcnow()) + timedelta(days=5)
    send_interim(app, in_time, at=received + timedelta(days=10), until=until)
    send_interim(app, too_late, at=received + timedelta(days=16), until=until)

    assert entry(app, in_time).close_by == end_of_day(until)
    assert entry(app, too_late).close_by == original  # sent after the 14 days: not moved
    html = krm_client.get("/admin/").text
    flagged = {int(number) for mark, number in INBOX_ROW.findall(html) if mark}
    assert flagged == {without, too_late}
    overdue = krm_client.get("/admin/?overdue=yes").text
    assert f'href="/admin/entries/{in_time}"' not in overdue
    assert f'href="/admin/entries/{without}"' in overdue

    page = krm_client.get(f"/admin/entries/{in_time}").text
    assert f"Abschluss bis</dt><dd>{until:%d.%m.%Y}</dd>" in page
    history = page.split('id="history-title"')[1]
    assert f"Abschlussfrist: {local_date(original):%d.%m.%Y} → {until:%d.%m.%Y}" in history
    protokoll = krm_client.get("/admin/audit/").text
    kept = f"Abschlussfrist nicht verschoben, schon abgelaufen am: {local_date(original):%d.%m.%Y}"
    assert kept in protokoll
