"""Durability: every submission that got its 303 survives the collector being killed mid-load.

The real production shape on one machine: gunicorn with several worker processes writing to one
SQLite database (WAL, synchronous=FULL), clients posting at the same time, and then SIGKILL for
the master and every worker at once (no shutdown handler runs), a restart, and more load.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from portal import ROOT

GUNICORN = Path(sys.executable).with_name("gunicorn")
CLIENTS = 4
PER_CLIENT = 25  # answered submissions each client sends, across the kill
KILL_AFTER = 30  # acknowledged submissions before the kill
DEADLINE = 180  # seconds for the whole test; it normally takes well under a minute


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unique_text() -> str:
    """A text the masking leaves alone (letters only) and no other submission has."""
    letters = uuid.uuid4().hex.translate(str.maketrans("0123456789abcdef", "ghijklmnopqrstuv"))
    return f"Rückmeldung {letters}: freundlich beraten, danke."


class Collector:
    """gunicorn serving the app on a loopback port, in its own process group."""

    def __init__(self, tmp_path: Path, database: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / "gunicorn.log"
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp_path),  # gunicorn's control socket lives under $HOME
            "KRM_INSTANCE_PATH": str(tmp_path / "instance"),
            "KRM_DATABASE_URL": f"sqlite:///{database}",
            "KRM_SECRET_KEY": "durability-test-secret-key-0123456789abcdef",
            "KRM_RATELIMIT_ENABLED": "false",
            "KRM_PUBLIC_BASE_URL": self.url,
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [
                    str(GUNICORN),
                    "--workers=3",
                    "--worker-class=gthread",
                    "--threads=2",
                    f"--bind=127.0.0.1:{self.port}",
                    f"--chdir={ROOT}",
                    "portal:create_app()",
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the master and its workers
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if requests.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:  # not listening yet, or workers still booting
                pass
            time.sleep(0.1)
        pytest.fail("gunicorn did not answer within 30 s:\n" + self.log.read_text())

    def kill(self) -> None:
        """SIGKILL to the whole process group: nothing gets to clean up."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # workers are reparented; wait until they are gone
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    acknowledged: list[str] = field(default_factory=list)
    failed_connections: int = 0
    bad_answers: list[str] = field(default_factory=list)


def client(collector: Collector, tally: Tally, stop_at: float) -> None:
    session = requests.Session()
    answered = 0
    while answered < PER_CLIENT and time.monotonic() < stop_at:
        text = unique_text()
        try:
            response = session.post(
                collector.url + "/submit",
                data={"lang": "de", "rating": "4", "kind": "lob", "text": text},
                allow_redirects=False,
                timeout=15,
            )
        except requests.RequestException:
            with tally.lock:  # the server is down or was killed mid-request: not acknowledged
                tally.failed_connections += 1
            time.sleep(0.05)
            continue
        answered += 1
        with tally.lock:
            if response.status_code == 303:
                tally.acknowledged.append(text)
            else:
                tally.bad_answers.append(f"{response.status_code}: {response.text[:200]}")


@pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn is a dependency: pip install -e .")
def test_every_acknowledged_submission_survives_sigkill_of_all_server_processes(
    tmp_path, migrated_database
):
    database = tmp_path / "krm.sqlite3"
    shutil.copy(migrated_database, database)
    collector = Collector(tmp_path, database)
    tally = Tally()
    stop_at = time.monotonic() + DEADLINE
    collector.start()
    try:
        threads = [
            threading.Thread(target=client, args=(collector, tally, stop_at))
            for _ in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        while len(tally.acknowledged) < KILL_AFTER and time.monotonic() < stop_at:
            time.sleep(0.01)
        acknowledged_before_kill = len(tally.acknowledged)
        collector.kill()  # mid-load: the clients keep posting
        time.sleep(0.3)
        collector.start()
        for thread in threads:
            thread.join(timeout=max(1.0, stop_at - time.monotonic()))
        assert not any(thread.is_alive() for thread in threads), "clients did not finish in time"
    finally:
        collector.stop()

    assert tally.bad_answers == [], collector.log.read_text()[-3000:]
    assert acknowledged_before_kill >= KILL_AFTER
    assert len(tally.acknowledged) > acknowledged_before_kill, "nothing acknowledged after restart"
    connection = sqlite3.connect(database)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = {row[0] for row in connection.execute("SELECT text FROM feedback")}
    finally:
        connection.close()
    missing = [text for text in tally.acknowledged if text not in stored]
    assert missing == [], f"{len(missing)} acknowledged submissions lost"
