"""Themen und Teams in the admin area, and the topic services behind them."""

from __future__ import annotations

import pytest
from conftest import csrf_token, login
from sqlalchemy import select

from admin.accounts.models import Team
from admin.inbox.models import Topic
from admin.topics.service import DuplicateName, add_named, list_topics, set_active
from portal.audit import AuditEvent
from portal.db import utcnow
from portal.extensions import db
from portal.vocab import DEFAULT_TOPICS

PATH = "/admin/settings/"


def post(client, path: str, **fields):
    return client.post(path, data={"csrf_token": csrf_token(client, PATH), **fields})


def topic(app, name: str) -> Topic | None:
    with app.app_context():
        return db.session.scalar(select(Topic).where(Topic.name == name))


def team(app, name: str) -> Team | None:
    with app.app_context():
        return db.session.scalar(select(Team).where(Team.name == name))


def audit(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_the_topic_services(app):
    with app.app_context():
        now = utcnow()
        assert {t.name for t in list_topics(db.session)} >= set(DEFAULT_TOPICS)
        added = add_named(db.session, Topic, "  Terminvergabe   online ", actor="test", now=now)
        assert added.name == "Terminvergabe online" and added.active
        with pytest.raises(DuplicateName) as refused:
            add_named(db.session, Topic, "terminvergabe ONLINE", actor="test", now=now)
        assert refused.value.existing is added
        set_active(db.session, Topic, added.id, False, actor="test", now=now)
        set_active(db.session, Topic, added.id, False, actor="test", now=now)  # no-op
        assert added not in list_topics(db.session, active_only=True)
        assert added in list_topics(db.session)
        db.session.commit()
    assert [e.subject for e in audit(app, "topic deactivated")] == ["topic:Terminvergabe online"]


def test_the_page_lists_topics_and_teams(krm_client):
    html = krm_client.get(PATH).get_data(as_text=True)
    for name in ("Bearbeitungsdauer", "Wechsel der Vermittlungsfachkraft", "Team 3", "Team 5"):
        assert f"<td>{name}</td>" in html


def test_a_topic_is_added_and_audited(app, krm_client):
    response = post(krm_client, "/admin/settings/topics", topic_name="Terminvergabe")
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/settings/#themen"
    assert topic(app, "Terminvergabe").active
    [event] = audit(app, "topic added")
    assert (event.actor, event.subject) == ("krm", "topic:Terminvergabe")
    assert event.actor_id is not None
    page = krm_client.get(PATH).get_data(as_text=True)
    assert "Thema „Terminvergabe“ angelegt." in page
    assert "<td>Terminvergabe</td>" in page


def test_a_topic_twice_is_refused_in_german(app, krm_client):
    response = post(krm_client, "/admin/settings/topics", topic_name="  bearbeitungsdauer ")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Das Thema „Bearbeitungsdauer“ gibt es schon." in html
    assert 'href="#topic_name"' in html
    assert 'value="bearbeitungsdauer"' in html
    assert audit(app, "topic added") == []

    response = post(krm_client, "/admin/settings/topics", topic_name="")
    assert response.status_code == 422
    assert "Bitte geben Sie den Namen des Themas ein." in response.get_data(as_text=True)


def test_a_topic_is_deactivated_and_reactivated(app, krm_client):
    topic_id = topic(app, "Sanktionen").id
    response = post(krm_client, f"/admin/settings/topics/{topic_id}/deactivate")
    assert response.status_code == 303
    assert not topic(app, "Sanktionen").active
    page = krm_client.get(PATH).get_data(as_text=True)
    assert "Thema „Sanktionen“ ist deaktiviert" in page
    assert f'action="/admin/settings/topics/{topic_id}/activate"' in page

    response = post(krm_client, "/admin/settings/topics", topic_name="Sanktionen")
    assert "gibt es schon (inaktiv" in response.get_data(as_text=True)

    assert post(krm_client, f"/admin/settings/topics/{topic_id}/activate").status_code == 303
    assert topic(app, "Sanktionen").active
    [off] = audit(app, "topic deactivated")
    [on] = audit(app, "topic activated")
    assert off.subject == on.subject == "topic:Sanktionen"
    assert off.details == {"active": [True, False]}


def test_an_unknown_topic_is_a_404(krm_client):
    assert post(krm_client, "/admin/settings/topics/99999/deactivate").status_code == 404


def test_a_team_is_added_deactivated_and_reactivated(app, krm_client, accounts):
    response = post(krm_client, "/admin/settings/teams", team_name="Leistungsbereich Team 7")
    assert response.status_code == 303
    assert team(app, "Leistungsbereich Team 7").active
    [event] = [e for e in audit(app, "team added") if e.subject.endswith("Team 7")]
    assert event.actor == "krm"

    team_id = team(app, "Team 3").id
    assert post(krm_client, f"/admin/settings/teams/{team_id}/deactivate").status_code == 303
    assert not team(app, "Team 3").active
    page = krm_client.get(PATH).get_data(as_text=True)
    assert "Team „Team 3“ ist deaktiviert" in page
    [off] = audit(app, "team deactivated")
    assert (off.subject, off.actor) == ("team:Team 3", "krm")

    assert post(krm_client, f"/admin/settings/teams/{team_id}/activate").status_code == 303
    assert team(app, "Team 3").active
    assert len(audit(app, "team activated")) == 1


def test_a_team_twice_is_refused_in_german(app, krm_client, accounts):
    response = post(krm_client, "/admin/settings/teams", team_name="team  3")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Das Team „Team 3“ gibt es schon." in html
    assert 'value="team 3"' in html
    assert len(audit(app, "team added")) == 2  # the two of the fixture


@pytest.mark.parametrize("role", ["team", "read"])
def test_only_the_krm_officer_changes_topics_and_teams(app, accounts, role):
    client = app.test_client()
    assert login(client, accounts[role]).status_code == 303
    assert client.get(PATH).status_code == 403
    token = csrf_token(client, "/admin/login")
    topic_id = topic(app, "Beratung").id
    requests = [
        ("/admin/settings/topics", {"topic_name": "Neu"}),
        (f"/admin/settings/topics/{topic_id}/deactivate", {}),
        ("/admin/settings/teams", {"team_name": "Neu"}),
        (f"/admin/settings/teams/{team(app, 'Team 3').id}/deactivate", {}),
    ]
    for path, data in requests:
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 403, path
    assert topic(app, "Neu") is None and team(app, "Neu") is None
    assert topic(app, "Beratung").active and team(app, "Team 3").active


def test_without_csrf_token_nothing_changes(app, krm_client):
    topic_id = topic(app, "Beratung").id
    team_id = team(app, "Team 3").id
    requests = [
        ("/admin/settings/topics", {"topic_name": "Neu"}),
        (f"/admin/settings/topics/{topic_id}/deactivate", {}),
        ("/admin/settings/teams", {"team_name": "Neu"}),
        (f"/admin/settings/teams/{team_id}/deactivate", {}),
    ]
    for path, data in requests:
        assert krm_client.post(path, data=data).status_code == 400, path
    assert topic(app, "Neu") is None and team(app, "Neu") is None
    assert topic(app, "Beratung").active and team(app, "Team 3").active
