"""Fixtures: an app on a real, migrated SQLite database per test; client and CLI runner."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal import create_app, schema
from portal.extensions import db
from portal.feedback import Feedback


def base_config(database: Path, **overrides) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-for-the-test-suite-only",
        "DATABASE_URL": f"sqlite:///{database}",
        "RATELIMIT_ENABLED": False,
        **overrides,
    }


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch, tmp_path):
    """No developer's KRM_* settings leak in, and nothing is written to the repo's instance/."""
    import os

    for name in list(os.environ):
        if name.startswith("KRM_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("KRM_INSTANCE_PATH", str(tmp_path / "instance"))


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory) -> Path:
    """Run the real migrations once; each test gets a copy of the result."""
    path = tmp_path_factory.mktemp("template") / "krm.sqlite3"
    app = create_app(base_config(path))
    schema.upgrade(app)
    with app.app_context():
        db.engine.dispose()
    return path


@pytest.fixture
def make_app(tmp_path, migrated_database):
    """Build an app on a fresh copy of the migrated database, with config overrides."""
    created = []

    def make(**overrides):
        database = tmp_path / f"krm{len(created)}.sqlite3"
        shutil.copy(migrated_database, database)
        app = create_app(base_config(database, **overrides))
        created.append(app)
        return app

    yield make
    for app in created:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def stored_feedback(app) -> list[Feedback]:
    """Every feedback row, read back through a new session."""
    with app.app_context():
        query = select(Feedback).options(joinedload(Feedback.card), joinedload(Feedback.location))
        return list(db.session.scalars(query.order_by(Feedback.id)))


PASSWORD = "correct horse battery staple"


@pytest.fixture
def accounts(app):
    """Two teams and a user of every role: krm, team (Team 3), read; all with PASSWORD."""
    from admin.accounts import add_user
    from admin.models import Team
    from admin.topics import add_named
    from portal.db import utcnow
    from portal.vocab import Role

    with app.app_context():
        now = utcnow()
        add_named(db.session, Team, "Team 3", actor="test", now=now)
        add_named(db.session, Team, "Team 5", actor="test", now=now)
        db.session.flush()
        add_user(db.session, "krm", PASSWORD, Role.KRM, actor="test", now=now)
        add_user(db.session, "lead3", PASSWORD, Role.TEAM, team="Team 3", actor="test", now=now)
        add_user(db.session, "reader", PASSWORD, Role.READ, actor="test", now=now)
        db.session.commit()
    return {"krm": "krm", "team": "lead3", "read": "reader"}


def login(client, name: str, password: str = PASSWORD):
    """Sign in through the real login form, CSRF token included."""
    import re

    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return client.post(
        "/admin/login", data={"name": name, "password": password, "csrf_token": token}
    )


def csrf_token(client, path: str = "/admin/") -> str:
    """The CSRF token of the signed-in session, read from a page's logout form."""
    import re

    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def krm_client(app, accounts):
    client = app.test_client()
    assert login(client, "krm").status_code == 303
    return client


def load_demo_site(app, tmp_path: Path) -> dict:
    """The demo data with its accounts (DEMO_PASSWORD), one Google review and a reply template.

    Returns the ids the admin routes need: a card code, entries, the review, the template, a topic.
    """
    import json

    from admin.google_models import GoogleReview
    from admin.google_replies import Actor, add_template
    from admin.google_sync import SyncContext, import_takeout
    from admin.models import Topic
    from cards.models import Card
    from portal import demo
    from portal.db import utcnow

    takeout = tmp_path / "reviews.json"
    review = {
        "name": "accounts/1001/locations/2002/reviews/r1",
        "reviewId": "r1",
        "reviewer": {"displayName": "Erika Mustermann"},
        "starRating": "TWO",
        "comment": "Lange Wartezeit am Empfang.",
        "createTime": "2026-11-16T09:15:30Z",
        "updateTime": "2026-11-16T09:15:30Z",
    }
    takeout.write_text(json.dumps({"reviews": [review]}), encoding="utf-8")
    with app.app_context():
        now = utcnow()
        demo.load_demo_accounts(db.session)
        demo.load_demo(db.session)
        import_takeout(db.session, takeout, SyncContext(now=now, actor="test"))
        template = add_template(
            db.session,
            "Dank",
            "Vielen Dank für Ihre Bewertung, {name}.",
            actor=Actor("test"),
            now=now,
        )
        db.session.commit()
        return {
            "code": db.session.scalars(select(Card.code).order_by(Card.id)).first(),
            "feedback": db.session.scalars(select(Feedback.id).order_by(Feedback.id)).first(),
            "review": db.session.scalars(select(GoogleReview.id)).one(),
            "review_feedback": db.session.scalars(select(GoogleReview.feedback_id)).one(),
            "template": template.id,
            "topic": db.session.scalars(select(Topic.id).order_by(Topic.id)).first(),
        }
