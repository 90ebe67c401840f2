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
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from math import ceil
from typing import Any, TypeVar

import flask_limiter
from flask import Flask, current_app, request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage
from limits.strategies import STRATEGIES, RateLimiter

GLOBAL_KEY = "collector"
# The scope Flask-Limiter gave the collector's limits: the counters in a shared Redis carry over.
SUBMIT_SCOPE = "public.submit"
# While the shared storage is away, try it again at most this often (seconds).
STORAGE_RECHECK = 10.0

log = logging.getLogger("flask-limiter")  # portal.logs sends it to the server's error log
T = TypeVar("T")


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
    return client_key_of(request.remote_addr or "", current_app.config["SECRET_KEY"])


def client_key_of(address: str, secret: str) -> str:
    """The limiter's key of a client address: a keyed hash under today's salt."""
    salt = _daily_salt(secret, datetime.now(UTC).date().isoformat())
    return hmac.new(salt, client_network(address).encode(), hashlib.sha256).hexdigest()[:32]


class Limiter(flask_limiter.Limiter):
    """Flask-Limiter, where each app bound to it starts with its storage taken to be alive.

    The limiter is one object per process; after a Redis outage one app noticed, the next app
    (tests, ``krm freeze``) would otherwise keep counting in the in-memory fallback.
    """

    def init_app(self, app: Flask) -> None:
        self._storage_dead = False
        super().init_app(app)


limiter = Limiter(key_func=client_key, default_limits=[], headers_enabled=False)


class SubmitLimits:
    """The collector's limits, checked with the ``limits`` library before Flask sees the request.

    Flask-Limiter's decorator costs a request context, a session and its own bookkeeping, more
    than the refusal itself; here a check is a hash and one storage read per limit. The keys and
    counters are the ones Flask-Limiter used (same storage, scope and strategy). Fail open, as the
    settings ask: while the storage is unreachable every worker counts in memory and logs it, and
    the storage is tried again every ``STORAGE_RECHECK`` seconds.
    """

    def __init__(self, config: Mapping[str, Any], storage: Storage) -> None:
        self.secret = config["SECRET_KEY"]
        self.per_client = parse_many(config["SUBMIT_LIMITS"])
        self.overall = parse_many(config["SUBMIT_GLOBAL_LIMIT"])
        strategy = STRATEGIES[config.get("RATELIMIT_STRATEGY") or "fixed-window"]
        self.storage = storage
        self.shared: RateLimiter = strategy(storage)
        self.fallback: RateLimiter | None = None
        if config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"]:
            self.fallback = strategy(MemoryStorage())
        self.swallow_errors = bool(config["RATELIMIT_SWALLOW_ERRORS"])
        self.storage_dead_at: float | None = None

    def _limits(self, client: str) -> list[tuple[RateLimitItem, tuple[str, str]]]:
        key = client_key_of(client, self.secret)
        return [(item, (key, SUBMIT_SCOPE)) for item in self.per_client] + [
            (item, (GLOBAL_KEY, SUBMIT_SCOPE)) for item in self.overall
        ]

    def retry_after(self, client: str) -> int | None:
        """Seconds until the client may send again (the latest breached window), or None."""
        limits = self._limits(client)

        def check(strategy: RateLimiter) -> int | None:
            resets = [
                strategy.get_window_stats(item, *keys).reset_time
                for item, keys in limits
                if not strategy.test(item, *keys)
            ]
            return max(1, ceil(max(resets) - time.time())) if resets else None

        return self._run(check, None)

    def count(self, client: str) -> None:
        """Count an accepted submission against every limit."""
        limits = self._limits(client)

        def hit(strategy: RateLimiter) -> None:
            for item, keys in limits:
                strategy.hit(item, *keys)

        self._run(hit, None)

    def _run(self, action: Callable[[RateLimiter], T], failed: T) -> T:
        if self.fallback is not None and self._storage_away():
            return action(self.fallback)
        try:
            return action(self.shared)
        except Exception:  # any storage error: the limits must not cost a citizen's submission
            if self.fallback is not None:
                log.warning("Rate limit storage unreachable - falling back to in-memory storage")
                self.storage_dead_at = time.monotonic()
                return action(self.fallback)
            if not self.swallow_errors:
                raise
            log.exception("Failed to rate limit. Swallowing error")
            return failed

    def _storage_away(self) -> bool:
        """Whether the shared storage is away; it is asked again every ``STORAGE_RECHECK`` s."""
        if self.storage_dead_at is None:
            return False
        if time.monotonic() - self.storage_dead_at < STORAGE_RECHECK:
            return True
        return not self._recovered()

    def _recovered(self) -> bool:
        try:
            alive = self.storage.check()
        except Exception:  # still away
            alive = False
        if alive:
            log.info("Rate limit storage recovered")
            self.storage_dead_at = None
        else:
            self.storage_dead_at = time.monotonic()
        return alive
