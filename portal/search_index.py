"""SQLite's full-text index of feedback, filled in batches rather than on every insert.

Indexing a text in FTS5 on its own costs a new index segment and a savepoint: about a sixth of
the collector's time for a submission, inside the writer's turn (bench/findings.md). So since
migration 0012 no trigger indexes a new row. The index holds every row up to the highest id it
knows (``feedback_fts_docsize`` has a row per indexed entry), and ``catch_up`` adds the rows
above it in one statement: the collector after every ``CATCH_UP_EVERY``-th submission (once
its answer has gone out), and every search before it reads the index, so a search always sees
every entry. The triggers that remain keep an indexed row's words in step when its text changes
or it is deleted, and leave a row the index does not hold yet alone.

PostgreSQL's GIN index is kept by the database itself: there is nothing to catch up.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

CATCH_UP_EVERY = 64

_PENDING = text(
    "SELECT coalesce((SELECT max(id) FROM feedback), 0) "
    "> coalesce((SELECT max(id) FROM feedback_fts_docsize), 0)"
)
# One statement: its snapshot starts after the writer's turn was taken (portal.db.WriterTurns),
# so two processes catching up at once cannot index a row twice.
_CATCH_UP = text(
    "INSERT INTO feedback_fts(rowid, text) SELECT id, text FROM feedback "
    "WHERE id > (SELECT coalesce(max(id), 0) FROM feedback_fts_docsize) ORDER BY id"
)

log = logging.getLogger(__name__)


def catch_up(bind: Session | Engine) -> None:
    """Index every entry the full-text index does not hold yet (SQLite; elsewhere nothing).

    On a session inside a write transaction, in that transaction (its uncommitted entries are
    found and the indexing shares their fate); otherwise in a short transaction of its own, so
    a search does not hold the writer's turn for the rest of its request.
    """
    if isinstance(bind, Session):
        connection = bind.connection()
        if connection.dialect.name != "sqlite" or not connection.execute(_PENDING).scalar():
            return
        if _writing(connection):
            connection.execute(_CATCH_UP)
            return
        bind = connection.engine
    if bind.dialect.name != "sqlite":
        return
    with bind.begin() as connection:
        connection.execute(_CATCH_UP)


def catch_up_later(engine: Engine) -> None:
    """``catch_up`` after the collector's answer: a failure only leaves it to the next one."""
    try:
        catch_up(engine)
    except Exception:
        log.exception("Indexing new entries for the search failed; a later run catches up.")


def _writing(connection: Connection) -> bool:
    return bool(connection.connection.dbapi_connection.in_transaction)
