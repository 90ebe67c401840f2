"""Fixtures: an app on a real, migrated database per test; client and CLI runner.

SQLite is the default. Test modules marked ``pytest.mark.engines`` run every test that builds an
app twice, on SQLite and on a real PostgreSQL server; modules marked ``pytest.mark.limiters`` run
their rate-limit tests on the memory storage and on a real Redis server. The servers are
throwaway ones on loopback (``tests.servers``), started once per session when first needed.
Without the binaries those runs are skipped locally, but fail in CI (``CI`` set); and a skipped
test fails the run unless ``KRM_ALLOW_SKIPS=1`` (``tests/no_skips.py``).
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import joinedload
from sqlalchemy.pool import NullPool

from portal import create_app, schema
from portal.extensions import db
from portal.feedback import Feedback
from tests import servers
from tests.no_skips import pytest_sessionfinish, pytest_terminal_summary  # noqa: F401 (hooks)

ENGINES = ("sqlite", "postgresql")
LIMITER_STORAGES = ("memory", "redis")


def base_config(database: Path | str, **overrides) -> dict:
    """A test app's settings; ``database`` is a SQLite file or an SQLAlchemy URL."""
    url = database if isinstance(database, str) else f"sqlite:///{database}"
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-for-the-test-suite-only",
        "DATABASE_URL": url,
        "RATELIMIT_ENABLED": False,
        **overrides,
    }


def pytest_generate_tests(metafunc):
    """Parametrize marked modules over engines and storages, unless a test names its own."""
    for name, marker, values in (
        ("database_engine", "engines", ENGINES),
        ("limiter_storage", "limiters", LIMITER_STORAGES),
    ):
        chosen = any(
            name in mark.args[0] for mark in metafunc.definition.iter_markers("parametrize")
        )
        marked = metafunc.definition.get_closest_marker(marker)
        if name in metafunc.fixturenames and marked and not chosen:
            metafunc.parametrize(name, values, indirect=True)


def require_binary(found: object, what: str) -> None:
    """Skip the test when a server's binary is missing, except in CI, where that fails."""
    if not found:
        _server_missing(what)


def _server_missing(what: str):
    if os.environ.get("CI"):
        pytest.fail(f"{what} is not installed, but CI must run these tests (.ci/run installs it)")
    pytest.skip(f"{what} is not installed")


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL cluster for the whole session; yields its URL."""
    if servers.postgres_bin() is None:
        _server_missing("PostgreSQL")
    with servers.postgres() as url:
        yield url


def _postgres_admin(url: str):
    """An engine on the cluster's maintenance database, for CREATE and DROP DATABASE."""
    return create_engine(
        make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )


@pytest.fixture(scope="session")
def postgres_template(postgres_server) -> str:
    """A database migrated once by the real migrations; each test gets a copy of it."""
    url = make_url(postgres_server).set(database="krm_template")
    admin = _postgres_admin(postgres_server)
    with admin.connect() as connection:
        connection.execute(text("CREATE DATABASE krm_template"))
    admin.dispose()
    url_text = url.render_as_string(hide_password=False)
    app = create_app(base_config(url_text))
    schema.upgrade(app)
    with app.app_context():
        db.engine.dispose()
    return url_text


_database_numbers = itertools.count()


@pytest.fixture
def postgres_database(postgres_template):
    """A factory of fresh PostgreSQL databases copied from the migrated template."""
    admin = _postgres_admin(postgres_template)
    made = []

    def make(template: str = "krm_template") -> str:
        """A copy of ``template``: the migrated database, or ``template0`` for an empty one."""
        name = f"krm_test_{os.getpid()}_{next(_database_numbers)}"
        with admin.connect() as connection:
            connection.execute(
                text(f'CREATE DATABASE "{name}" TEMPLATE {template} STRATEGY FILE_COPY')
            )
        made.append(name)
        return make_url(postgres_template).set(database=name).render_as_string(False)

    yield make
    with admin.connect() as connection:
        for name in made:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A throwaway Redis server for the whole session; yields its URL."""
    if servers.redis_bin() is None:
        _server_missing("Redis")
    with servers.redis(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def redis_url(redis_server) -> str:
    """The session's Redis, emptied for this test."""
    import redis

    client = redis.Redis.from_url(redis_server)
    client.flushdb()
    client.close()
    return redis_server


@pytest.fixture
def database_engine(request) -> str:
    """The engine of this test's database: SQLite, or each of ENGINES in modules marked so."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def limiter_storage(request) -> str:
    """The rate-limit storage URI: memory, or each of LIMITER_STORAGES in modules marked so."""
    if getattr(request, "param", "memory") == "redis":
        return request.getfixturevalue("redis_url")
    return "memory://"


@pytest.fixture
def fresh_database(request, tmp_path, database_engine):
    """A factory of fresh, migrated databases of this test's engine; returns their URLs."""
    if database_engine == "postgresql":
        return request.getfixturevalue("postgres_database")
    numbers = itertools.count()

    def make() -> str:
        database = tmp_path / f"krm{next(numbers)}.sqlite3"
        shutil.copy(request.getfixturevalue("migrated_database"), database)
        return f"sqlite:///{database}"

    return make


@pytest.fixture
def empty_database(request, tmp_path, database_engine):
    """A factory of empty databases of this test's engine (nothing migrated); returns URLs."""
    if database_engine == "postgresql":
        make = request.getfixturevalue("postgres_database")
        return lambda: make(template="template0")
    numbers = itertools.count()
    return lambda: f"sqlite:///{tmp_path / f'empty{next(numbers)}.sqlite3'}"


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
def make_app(fresh_database, limiter_storage):
    """Build an app on a fresh copy of the migrated database, with config overrides."""
    created = []

    def make(**overrides):
        overrides.setdefault("RATELIMIT_STORAGE_URI", limiter_storage)
        database = overrides.pop("DATABASE_URL", None) or fresh_database()
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
    from admin.accounts.models import Team
    from admin.accounts.service import add_user
    from admin.topics.service import add_named
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


def limiter_keys() -> list[str]:
    """Every key in the limiter's storage: the memory storage's counter, or Redis' keys."""
    from portal.extensions import limiter

    backend = limiter.storage.storage
    if isinstance(backend, dict):
        return [str(key) for key in backend]
    return [key.decode() for key in backend.keys("*")]


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

    from admin import demo
    from admin.google.models import GoogleReview
    from admin.google.replies import Actor, add_template
    from admin.google.sync import SyncContext, import_takeout
    from admin.inbox.models import Topic
    from cards.models import Card
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
