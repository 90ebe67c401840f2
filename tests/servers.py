"""Throwaway PostgreSQL and Redis servers on loopback, for tests and benchmarks.

Each server gets a free port chosen at start, lives in a temporary folder and is stopped when
its context ends, so several test runs on one machine never meet. Debian's packages provide the
binaries (``postgresql``, ``redis-server``); ``.ci/run`` installs them. PostgreSQL refuses to run
as root, so as root the cluster belongs to the ``postgres`` system user the package creates.
"""

from __future__ import annotations

import contextlib
import glob
import ipaddress
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

DATABASE = "krm"
USER = "krm"
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | None = None, timeout: float = 10) -> None:
    """Return once something accepts connections on 127.0.0.1:port; fail if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listened on port {port} within {timeout} s")


def postgres_bin() -> Path | None:
    """The folder with ``initdb`` and ``pg_ctl`` of the newest installed PostgreSQL, if any."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def redis_bin() -> str | None:
    return shutil.which("redis-server")


def _as_owner(command: list[str]) -> list[str]:
    """Run as the ``postgres`` user when we are root (initdb and postgres refuse root)."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def _chown_for_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stdout}{done.stderr}")


@contextlib.contextmanager
def postgres(*, fast: bool = True) -> Iterator[str]:
    """A fresh PostgreSQL cluster with an empty database; yields its SQLAlchemy URL.

    The cluster lives in a folder of its own under the system's temp folder (as root it must
    belong to ``postgres``, which cannot enter pytest's private temp folders) and is removed
    afterwards. ``fast`` turns off fsync and synchronous commits: right for tests and benchmarks
    of query speed, never for anything that measures durability.
    """
    binaries = postgres_bin()
    if binaries is None:
        raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="krm-postgres-"))
    _chown_for_postgres(folder)
    try:
        with _cluster(binaries, folder, fast=fast) as url:
            yield url
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def _cluster(binaries: Path, folder: Path, *, fast: bool) -> Iterator[str]:
    data, sockets = folder / "data", folder / "sockets"
    sockets.mkdir(exist_ok=True)
    _chown_for_postgres(sockets)
    _run(
        _as_owner(
            [
                str(binaries / "initdb"),
                "--pgdata",
                str(data),
                "--username",
                USER,
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--locale",
                "C.UTF-8",
            ]
        )
    )
    port = free_port()
    options = [
        f"-p {port}",
        "-c listen_addresses=127.0.0.1",
        f"-c unix_socket_directories={sockets}",
        "-c max_connections=100",
    ]
    if fast:
        options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
    pg_ctl = str(binaries / "pg_ctl")
    log = folder / "postgres.log"
    start = [pg_ctl, "--pgdata", str(data), "--log", str(log), "--options", " ".join(options)]
    _run(_as_owner([*start, "--wait", f"--timeout={int(START_TIMEOUT)}", "start"]))
    try:
        _run([str(binaries / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", USER, DATABASE])
        yield f"postgresql+psycopg://{USER}@127.0.0.1:{port}/{DATABASE}"
    finally:
        subprocess.run(
            _as_owner([pg_ctl, "--pgdata", str(data), "--mode", "immediate", "stop"]),
            capture_output=True,
        )


@contextlib.contextmanager
def redis(folder: Path) -> Iterator[str]:
    """A fresh Redis server that keeps nothing on disk; yields its URL."""
    binary = redis_bin()
    if binary is None:
        raise RuntimeError("Redis is not installed (apt-get install redis-server)")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", str(folder), "--daemonize", "no"]
    with (folder / "redis.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(process)


def stop(process: subprocess.Popen, timeout: float = 5) -> None:
    """End a server: SIGTERM, and SIGKILL if it has not exited within ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key as PEM files, for servers tested over TLS."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert, private = folder / "cert.pem", folder / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, private
