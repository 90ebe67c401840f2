"""Device cookies: sign-in throttling that nobody can turn into a lockout of the officer.

OWASP's pattern (Slow Down Online Guessing Attacks with Device Cookies): a browser that signed in
successfully gets a signed cookie bound to the account. A sign-in that presents a valid one for
the account being signed in is judged only on that device's own failed attempts; every other
request (an unknown browser) counts against the per-client limit and against the account's shared
limit for unknown browsers. So a stranger who guesses passwords for the officer's name blocks the
unknown browsers only, while the officer's own browser still gets in with the right password.

The cookie holds the user id and a random nonce, signed with a key derived from the app's secret
and the user's password version (``password_changed_at``, which also ends sessions): a password
reset or a deactivation voids every device cookie of that user, a cookie of account A is no
cookie for account B, and a tampered one is no cookie at all. It never skips the password.
The counters live in the limiter's storage, keyed by HMACs: no address, name or nonce in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import timedelta

from flask import Response, current_app, g, request
from itsdangerous import BadData, URLSafeTimedSerializer

from admin.accounts.models import User
from admin.accounts.service import find_user
from portal.extensions import db

COOKIE = "krm_device"
COOKIE_PATH = "/admin/login"  # sent with sign-ins only, never with other pages
ACCOUNT_PREFIX = "account:"
DEVICE_PREFIX = "device:"


def _serializer(secret: str, user: User) -> URLSafeTimedSerializer:
    version = user.password_changed_at.isoformat()
    return URLSafeTimedSerializer(secret, salt=f"krm-device:{user.id}:{version}")


def issue_token(secret: str, user: User) -> str:
    """A new device token for this user, with a fresh nonce."""
    return _serializer(secret, user).dumps({"user": user.id, "nonce": secrets.token_urlsafe(16)})


def token_nonce(secret: str, user: User, token: str, *, max_age: timedelta) -> str | None:
    """The nonce of a valid, unexpired device token of this user, else None."""
    try:
        payload = _serializer(secret, user).loads(token, max_age=max_age.total_seconds())
    except BadData:
        return None
    if not isinstance(payload, dict) or payload.get("user") != user.id:
        return None
    nonce = payload.get("nonce")
    return nonce if isinstance(nonce, str) and nonce else None


def _hashed(kind: str, value: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(secret, f"{kind}{value}".encode(), hashlib.sha256).hexdigest()[:32]
    return kind + digest


def _max_age() -> timedelta:
    return timedelta(days=current_app.config["LOGIN_DEVICE_DAYS"])


def _signing_in_name() -> str:
    return (request.form.get("name") or "").strip().lower()


def trusted_device() -> str | None:
    """The nonce of this request's device cookie if it is valid for the account signing in."""
    if "login_device" not in g:
        g.login_device = _read_device()
    return g.login_device


def _read_device() -> str | None:
    token = request.cookies.get(COOKIE)
    name = _signing_in_name()
    if not token or not name:
        return None
    user = find_user(db.session, name)
    if user is None or not user.active:
        return None
    return token_nonce(current_app.config["SECRET_KEY"], user, token, max_age=_max_age())


def is_trusted() -> bool:
    return trusted_device() is not None


def login_key() -> str:
    """The device's own counter for a trusted device, else the account's for unknown browsers."""
    nonce = trusted_device()
    if nonce is not None:
        return _hashed(DEVICE_PREFIX, nonce)
    return _hashed(ACCOUNT_PREFIX, _signing_in_name())


def login_limits() -> str:
    config = current_app.config
    return config["LOGIN_DEVICE_LIMITS"] if is_trusted() else config["LOGIN_ACCOUNT_LIMITS"]


def client_limits() -> str:
    return current_app.config["LOGIN_LIMITS"]


def refused(response: Response) -> bool:
    """Only a refused sign-in counts; a throttled one (429) never had its password checked."""
    return response.status_code == 401


def remember_device(response: Response, user: User) -> None:
    """Give the browser that just signed in a new device cookie for this user."""
    config = current_app.config
    response.set_cookie(
        COOKIE,
        issue_token(config["SECRET_KEY"], user),
        max_age=int(_max_age().total_seconds()),
        path=COOKIE_PATH,
        secure=config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Strict",
    )


def throttle_message(limit_key: str, seconds: int) -> str:
    """What the login page says when a limit refused the attempt, and for how long."""
    minutes = max(1, math.ceil(seconds / 60))
    wait = "1 Minute" if minutes == 1 else f"{minutes} Minuten"
    if ACCOUNT_PREFIX in limit_key:
        return (
            "Zu viele Anmeldeversuche für diesen Namen von unbekannten Geräten. Bitte versuchen "
            f"Sie es in {wait} erneut. An einem Gerät, an dem Sie sich hier schon einmal "
            "angemeldet haben, können Sie sich weiterhin anmelden."
        )
    return f"Zu viele Anmeldeversuche von diesem Gerät. Bitte versuchen Sie es in {wait} erneut."
