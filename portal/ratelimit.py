"""Rate limits of the collector, keyed so that not even the limiter's storage holds an IP address.

The per-client key is an HMAC of the address under a salt derived from the secret key and the
current UTC date: it changes every day, cannot be reversed without the secret, and is the same in
every worker and host, so limits shared through Redis still hold. IPv6 clients are keyed by their
/64 network, since one household or one bot can use any address in it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from datetime import UTC, datetime
from functools import lru_cache

import flask_limiter
from flask import Flask, current_app, request

GLOBAL_KEY = "collector"


@lru_cache(maxsize=4)
def _daily_salt(secret: str, day: str) -> bytes:
    return hmac.new(secret.encode(), f"ratelimit-salt:{day}".encode(), hashlib.sha256).digest()


def client_network(address: str) -> str:
    """The unit a limit applies to: the IPv4 address, or the IPv6 /64."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)


def client_key() -> str:
    day = datetime.now(UTC).date().isoformat()
    salt = _daily_salt(current_app.config["SECRET_KEY"], day)
    network = client_network(request.remote_addr or "")
    return hmac.new(salt, network.encode(), hashlib.sha256).hexdigest()[:32]


def global_key() -> str:
    return GLOBAL_KEY


def submit_limits() -> str:
    return current_app.config["SUBMIT_LIMITS"]


def submit_global_limit() -> str:
    return current_app.config["SUBMIT_GLOBAL_LIMIT"]


def accepted(response) -> bool:
    """Only accepted submissions count: a citizen correcting a typo is not throttled."""
    return response.status_code == 303


class Limiter(flask_limiter.Limiter):
    """Flask-Limiter, where each app bound to it starts with its storage taken to be alive.

    The limiter is one object per process; after a Redis outage one app noticed, the next app
    (tests, ``krm freeze``) would otherwise keep counting in the in-memory fallback.
    """

    def init_app(self, app: Flask) -> None:
        self._storage_dead = False
        super().init_app(app)


limiter = Limiter(key_func=client_key, default_limits=[], headers_enabled=False)
