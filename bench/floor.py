"""The durable floor of the collector benchmark: a bare Flask handler that stores the text.

It reads the form, INSERTs the text with raw ``sqlite3`` into a one-table database
(``BENCH_FLOOR_DATABASE``) in WAL mode with ``synchronous=FULL``, commits and answers 303: the
least any handler can do that acknowledges a submission only once it is on the disk. Each
worker opens its connection on its first request (after gunicorn's fork).
"""

from __future__ import annotations

import os
import sqlite3

from flask import Flask, redirect, request

SCHEMA = "CREATE TABLE IF NOT EXISTS submission (id INTEGER PRIMARY KEY, text TEXT NOT NULL)"

app = Flask(__name__)
_connection: sqlite3.Connection | None = None


def connection() -> sqlite3.Connection:
    global _connection
    if _connection is None:
        _connection = sqlite3.connect(os.environ["BENCH_FLOOR_DATABASE"], timeout=20)
        _connection.execute("PRAGMA journal_mode=WAL")
        _connection.execute("PRAGMA synchronous=FULL")
        _connection.execute(SCHEMA)
        _connection.commit()
    return _connection


@app.post("/submit")
def submit():
    db = connection()
    db.execute("INSERT INTO submission (text) VALUES (?)", (request.form.get("text", ""),))
    db.commit()
    return redirect("/danke/", code=303)
