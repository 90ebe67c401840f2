"""The database: declarative base, engine and one session per app context.

Plain SQLAlchemy 2.0. Services receive a ``Session``; views and CLI commands get it from
``db.session`` and commit once, at the edge.
"""

from __future__ import annotations

import os
import sqlite3
import time
from datetime import UTC, datetime
from enum import Enum as PyEnum
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # not on Windows: writers take turns through SQLite alone
    fcntl = None  # type: ignore[assignment]

from flask import Flask, g
from sqlalchemy import DateTime, Engine, Enum, MetaData, create_engine, event, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so Alembic can alter them on every engine (SQLite batch mode included).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every engine; SQLite itself keeps no time zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def vocab_type(enum_cls: type[PyEnum]) -> Enum:
    """Store a vocabulary by its value as plain VARCHAR: no native enum types to migrate."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


# How long a writer waits for another one's lock before it fails: long enough that a citizen's
# submission waits out a big admin transaction (a purge, a Google sync) instead of getting a 500,
# and shorter than gunicorn's default 30-second worker timeout, so the wait ends in an answer.
SQLITE_BUSY_TIMEOUT_MS = 20_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Durable and private settings of every SQLite connection (docs/operations.md).

    WAL lets readers and one writer work at once, across processes; ``synchronous=FULL`` syncs
    the log on every commit, so an acknowledged submission survives a killed process and a
    power loss; ``secure_delete`` overwrites deleted content, so purged text leaves no trace in
    free pages.
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


# A writer waiting for another's turn asks again this often (seconds); see WriterTurns.
WRITER_POLL = 0.0001
# ... for this long (a submission's turn is under a millisecond), then doubling the pause up to
# WRITER_POLL_MAX, so a writer waiting behind a long transaction (a purge, a sync) does not spin.
WRITER_POLL_STEADY = 0.005
WRITER_POLL_MAX = 0.001
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")


class WriterTurns(sqlite3.Connection):
    """A SQLite connection whose write transactions take turns through an OS lock first.

    SQLite's busy handler sleeps 1, 2, 5, 10 … ms between tries for the write lock, so a worker
    waiting for it wakes up long after it was released, and the worker that released it takes
    it again first. Under load gunicorn's workers then write one at a time with the lock idle
    between them: one worker's preparation of its next submission (form, masking) never overlaps
    the other's commit (the fsync). Here a write transaction first takes an advisory lock on the
    file ``<database>-writer`` (``flock``, polled every ``WRITER_POLL``: a blocking ``flock``
    would wake sooner but cannot time out), released as soon as the transaction ends, so the
    next writer starts within a fraction of a millisecond. It only orders writers: SQLite's own
    locking and durability are unchanged, and a writer that waited ``SQLITE_BUSY_TIMEOUT_MS``
    goes on without it (SQLite decides, as before).
    """

    def __init__(self, database: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._turns = os.open(f"{os.fsdecode(database)}-writer", os.O_RDWR | os.O_CREAT, 0o600)
        self._has_turn = False

    def cursor(self, factory: Any = None) -> sqlite3.Cursor:
        return super().cursor(factory or _TurnTakingCursor)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.end_turn()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.end_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.end_turn()
            os.close(self._turns)

    def take_turn(self, statement: str) -> None:
        """Before a write that begins a transaction: wait for the other writers' turns."""
        if self._has_turn or self.in_transaction:
            return
        if not statement.lstrip()[:6].upper().startswith(_WRITES):
            return
        started = time.monotonic()
        pause = WRITER_POLL
        while True:
            try:
                fcntl.flock(self._turns, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                waited = time.monotonic() - started
                if waited > SQLITE_BUSY_TIMEOUT_MS / 1000:
                    return
                time.sleep(pause)
                if waited > WRITER_POLL_STEADY:
                    pause = min(pause * 2, WRITER_POLL_MAX)
            else:
                self._has_turn = True
                return

    def end_turn(self) -> None:
        """After the transaction (or an autocommitted statement): the next writer's turn."""
        if self._has_turn and not self.in_transaction:
            fcntl.flock(self._turns, fcntl.LOCK_UN)
            self._has_turn = False


class _TurnTakingCursor(sqlite3.Cursor):
    connection: WriterTurns

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        self.connection.take_turn(sql)
        try:
            return super().execute(sql, parameters)
        finally:
            self.connection.end_turn()

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        self.connection.take_turn(sql)
        try:
            return super().executemany(sql, parameters)
        finally:
            self.connection.end_turn()


def make_engine(url: str) -> Engine:
    sqlite_file = url.startswith("sqlite") and make_url(url).database not in (None, "", ":memory:")
    connect_args = {"factory": WriterTurns} if sqlite_file and fcntl is not None else {}
    engine = create_engine(
        url, pool_pre_ping=not url.startswith("sqlite"), connect_args=connect_args
    )
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        if engine.url.database and engine.url.database != ":memory:":
            Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    return engine


class Database:
    """Flask extension holding the engine; ``db.session`` is one session per app context."""

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions["krm.db"] = sessionmaker(engine, expire_on_commit=False)
        app.teardown_appcontext(self._close_session)

    @staticmethod
    def sessionmaker(app: Flask | None = None) -> sessionmaker[Session]:
        from flask import current_app

        return (app or current_app).extensions["krm.db"]

    @property
    def engine(self) -> Engine:
        return self.engine_of()

    def engine_of(self, app: Flask | None = None) -> Engine:
        """The engine of ``app`` (default: the current one), also outside an app context."""
        return self.sessionmaker(app).kw["bind"]

    @property
    def session(self) -> Session:
        if "krm_session" not in g:
            g.krm_session = self.sessionmaker()()
        return g.krm_session

    @staticmethod
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("krm_session", None)
        if session is not None:
            session.close()
