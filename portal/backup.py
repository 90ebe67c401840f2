"""Backing up and restoring the database, on both engines, while the portal keeps running.

SQLite: the online backup API copies a consistent snapshot page by page (safe with WAL and
concurrent writers, unlike copying the file). PostgreSQL: ``pg_dump --format=custom`` and
``pg_restore`` of the PostgreSQL client tools. A restore only goes into an empty database, so
it can never mix two installations' data or overwrite the one that is running.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess  # nosec B404
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool


class BackupError(RuntimeError):
    """The backup or restore could not be done; the message says why."""


def backup(database_url: str, out: Path) -> None:
    """Write a backup of the database at ``database_url`` to ``out`` (replaced when complete)."""
    url = make_url(database_url)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    if url.get_backend_name() == "sqlite":
        _sqlite_copy(Path(_sqlite_path(url)), partial)
    elif url.get_backend_name() == "postgresql":
        _run_pg("pg_dump", url, "--format=custom", "--no-owner", f"--file={partial}")
    else:
        raise BackupError(f"Backups of {url.get_backend_name()} databases are not supported.")
    partial.replace(out)


def restore(archive: Path, database_url: str) -> None:
    """Restore a backup made by :func:`backup` into the empty database at ``database_url``."""
    if not archive.is_file():
        raise BackupError(f"{archive} does not exist.")
    url = make_url(database_url)
    _require_empty(url)
    if url.get_backend_name() == "sqlite":
        _sqlite_copy(archive, Path(_sqlite_path(url)))
    elif url.get_backend_name() == "postgresql":
        _run_pg(
            "pg_restore", url, "--no-owner", "--exit-on-error", "--single-transaction", str(archive)
        )
    else:
        raise BackupError(f"Restoring {url.get_backend_name()} databases is not supported.")


def _sqlite_path(url: URL) -> str:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return url.database


def _sqlite_copy(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"{source} does not exist.")
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        sqlite3.connect(source) as src,
        sqlite3.connect(target) as dst,
    ):
        src.backup(dst)
    src.close()
    dst.close()


def _require_empty(url: URL) -> None:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            tables = inspect(connection).get_table_names()
    except Exception as error:
        raise BackupError(f"The target database cannot be opened: {error}") from error
    finally:
        engine.dispose()
    if tables:
        raise BackupError(
            "The target database is not empty; restore into a new, empty database "
            "(createdb, or a new SQLite file) and point KRM_DATABASE_URL at it."
        )


def _run_pg(tool: str, url: URL, *arguments: str) -> None:
    """Run a PostgreSQL client tool on the database; the password goes in the environment."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    target = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    # An argument list from our own settings, never through a shell.
    done = subprocess.run(  # noqa: S603  # nosec B603
        [_pg_tool(tool), f"--dbname={target}", *arguments],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise BackupError(f"{tool} failed: {done.stderr.strip() or done.stdout.strip()}")


def _pg_tool(name: str) -> str:
    """The tool on PATH (Debian's wrapper picks the newest version), else the newest installed."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4])
    )
    if not versions:
        raise BackupError(f"{name} is missing: install the PostgreSQL client (postgresql-client).")
    return versions[-1]
