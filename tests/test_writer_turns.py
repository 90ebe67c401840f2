"""SQLite writers take turns through an OS lock next to the database (portal.db.WriterTurns)."""

from __future__ import annotations

import fcntl
import os

from sqlalchemy import text

from portal.db import make_engine


def turn_is_free(database) -> bool:
    """Whether another process could take the writers' turn right now."""
    fd = os.open(f"{database}-writer", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def test_a_write_transaction_holds_the_turn_until_it_ends(tmp_path):
    database = tmp_path / "krm.sqlite3"
    engine = make_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))

    with engine.connect() as connection:
        connection.execute(text("SELECT count(*) FROM t")).scalar()
        assert turn_is_free(database), "reading takes no turn"
        connection.execute(text("INSERT INTO t VALUES (1)"))
        assert not turn_is_free(database), "a write transaction holds the turn"
        connection.execute(text("INSERT INTO t VALUES (2)"))
        connection.commit()
        assert turn_is_free(database), "the commit ends the turn"

        connection.execute(text("UPDATE t SET x = 3"))
        assert not turn_is_free(database)
        connection.rollback()
        assert turn_is_free(database), "so does a rollback"

    with engine.connect() as connection:
        assert connection.execute(text("SELECT x FROM t ORDER BY x")).scalars().all() == [1, 2]
    engine.dispose()


def test_a_writer_that_cannot_get_the_turn_still_writes_after_the_timeout(tmp_path, monkeypatch):
    """The turn only orders writers: one held elsewhere for too long does not block a write."""
    import portal.db

    monkeypatch.setattr(portal.db, "SQLITE_BUSY_TIMEOUT_MS", 50)
    database = tmp_path / "krm.sqlite3"
    engine = make_engine(f"sqlite:///{database}")
    other = os.open(f"{database}-writer", os.O_RDWR | os.O_CREAT)
    fcntl.flock(other, fcntl.LOCK_EX)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
        with engine.connect() as connection:
            assert connection.execute(text("SELECT x FROM t")).scalar() == 1
    finally:
        os.close(other)
        engine.dispose()
