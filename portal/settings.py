"""All settings in one place: defaults, then ``instance/config.toml``, then ``KRM_*`` variables.

Environment variables win over the file, the file over the defaults. Values of ``KRM_*``
variables are parsed as JSON where they parse (Flask's ``from_prefixed_env``), so
``KRM_PROXY_HOPS=1`` is an int and ``KRM_RATELIMIT_ENABLED=false`` a bool.
"""

from __future__ import annotations

import json
import secrets
import tomllib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flask import Flask

PREFIX = "KRM"

DEFAULTS: dict[str, Any] = {
    # "development" generates a secret key into instance/; "production" refuses to run without.
    "ENV": "development",
    "SECRET_KEY": None,
    "DATABASE_URL": None,  # default: sqlite:///<instance>/krm.sqlite3
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_ENABLED": True,
    # Fail open: while the shared storage (Redis) is unreachable, every worker limits in memory
    # on its own and logs a warning, so no feedback is lost; it goes back once Redis answers.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_SWALLOW_ERRORS": True,
    # Passed to the storage (redis-py connection options); Redis gets short timeouts by default.
    "RATELIMIT_STORAGE_OPTIONS": {},
    "SUBMIT_LIMITS": "5 per minute;30 per day",
    "SUBMIT_GLOBAL_LIMIT": "600 per minute",
    "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
    "COLLECTOR_URL": None,  # default: <PUBLIC_BASE_URL>/submit
    # Further sites whose pages may post to the collector (e.g. the Jobcenter's homepage).
    "ALLOWED_ORIGINS": [],
    "STATE": "RP",
    "PROXY_HOPS": 0,
    "GOOGLE_API_BASE_URL": "https://mybusiness.googleapis.com/v4",
    "GOOGLE_ACCOUNT": None,
    "GOOGLE_LOCATIONS": None,
    "GOOGLE_CREDENTIALS": None,
    "GOOGLE_ACCESS_TOKEN": None,
    # Google location id → Meinungskarte location code, so reviews count for that Dienststelle.
    "GOOGLE_LOCATION_MAP": {},
    # Reviewer names are kept for the reply's {name} only until it is published, at most this long.
    "GOOGLE_NAME_RETENTION_DAYS": 30,
    "GOOGLE_TIMEOUT": 30,
    "GOOGLE_MAX_RETRIES": 3,
    "GOOGLE_RETRY_BASE_DELAY": 1.0,
    "RETENTION_MONTHS": 24,
    # Pictures of scanned cards waiting for review are deleted by `krm purge` after this many days.
    "SCAN_RETENTION_DAYS": 14,
    "SCAN_MAX_MB": 100,  # the largest scanned file /admin/paper/scan takes (300 pages at most)
    # Outgoing mail (docs/mail.md): off until a server and a sender address are set.
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_USE_TLS": False,  # STARTTLS, certificate checked
    "MAIL_CA_FILE": None,  # CA bundle for the server's certificate (default: the system's)
    "MAIL_FROM": None,  # "krm@jobcenter.example" or "Jobcenter Musterstadt <krm@…>"
    "MAIL_NOTIFY": None,  # the officer's addresses for the digest: JSON list or comma-separated
    "MAIL_TIMEOUT": 10,
    "MAIL_SEND_ON_SUBMIT": True,  # try the acknowledgement right after the citizen's 303
    "MAIL_RETRY_BASE_DELAY": 60,
    "MAIL_RETRY_MAX_DELAY": 600,
    "MAIL_GIVE_UP_HOURS": 72,
    "MAIL_INTERIM_REMINDER_DAYS": 3,
    # At most this many acknowledgements to one address within KRM_DUPLICATE_WINDOW_HOURS.
    "MAIL_ACKNOWLEDGEMENTS_PER_ADDRESS": 3,  # remind of the Zwischennachricht this many days before
    "ADMIN_URL": None,  # default: the collector's address with /admin instead of /submit
    # The Jobcenter this installation serves: shown on every page and in the legal texts.
    "JOBCENTER_NAME": "Jobcenter Musterstadt",
    "JOBCENTER_ADDRESS": "Musterstraße 1, 12345 Musterstadt",
    "JOBCENTER_EMAIL": "jobcenter-musterstadt@jobcenter-ge.de",
    "JOBCENTER_PHONE": "01234 567-0",
    "JOBCENTER_WEBSITE": "https://www.jobcenter-musterstadt.de",
    "JOBCENTER_REPRESENTATIVE": "Die Geschäftsführung",
    "DATA_PROTECTION_OFFICER": "Datenschutzbeauftragte*r des Jobcenters, Anschrift wie oben",
    "SUPERVISORY_AUTHORITY": "Die oder der Landesbeauftragte für den Datenschutz",
    # When the accessibility statement was last reviewed (ISO date), shown as its "Stand".
    "ACCESSIBILITY_REVIEWED": "2026-12-02",
    # Cap on a request body. Generous on purpose: a text that is too long should get the friendly
    # "please shorten" message with the text kept (422), not a 413 that cannot show it again.
    "MAX_CONTENT_LENGTH": 256 * 1024,
    "MAX_FORM_MEMORY_SIZE": 256 * 1024,
    "DUPLICATE_WINDOW_HOURS": 24,
    # Anonymous feedback has nobody to acknowledge; the officer triages it within this standard.
    "TRIAGE_WORKING_DAYS": 5,
    # Admin sessions end after this much idle time, and in any case after a working day.
    "ADMIN_IDLE_MINUTES": 60,
    "ADMIN_SESSION_HOURS": 10,
    # Failed sign-ins: per client and, from unknown browsers, per account; a browser with a valid
    # device cookie for the account is judged on its own failures only (admin/devices.py).
    "LOGIN_LIMITS": "10 per 10 minutes",
    "LOGIN_ACCOUNT_LIMITS": "5 per 10 minutes",
    "LOGIN_DEVICE_LIMITS": "5 per 10 minutes",
    "LOGIN_DEVICE_DAYS": 180,  # a device cookie lasts this long after the last sign-in
    # Print sheets: the size of one card (A6, A5 or A4), laid out on A4 pages.
    "CARD_SIZE": "A6",
    # Print sheets in a second language: the folder with DejaVuSans.ttf and DejaVuSans-Bold.ttf
    # (Debian's fonts-dejavu-core). German alone needs no font file.
    "SHEET_FONT_DIR": "/usr/share/fonts/truetype/dejavu",
    # /robots.txt: "allow" (public pages yes, admin area and collector no), "deny" (nothing), or
    # the file's whole text.
    "ROBOTS": "allow",
    # Set by `krm freeze`: an app with the public pages only, whose forms post to COLLECTOR_URL.
    "PUBLIC_ONLY": False,
    "FREEZING": False,
}

# A Redis that does not answer must not hold up a citizen's submission for long.
REDIS_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}

# Placeholder secrets that must never protect a production installation.
WEAK_SECRETS = {"", "dev", "secret", "changeme", "change-me", "test", "development"}


class ConfigurationError(RuntimeError):
    """The installation is configured in a way that must not run."""


def load(app: Flask, overrides: dict[str, Any] | None = None) -> None:
    """Fill ``app.config`` from defaults, the instance file, the environment and ``overrides``."""
    app.config.update(DEFAULTS)
    config_file = Path(app.instance_path) / "config.toml"
    if config_file.is_file():
        with config_file.open("rb") as fh:
            app.config.update({key.upper(): value for key, value in tomllib.load(fh).items()})
    app.config.from_prefixed_env(PREFIX)
    if overrides:
        app.config.update(overrides)
    _derive(app)


def _derive(app: Flask) -> None:
    config = app.config
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'krm.sqlite3'}"
    config["PUBLIC_BASE_URL"] = str(config["PUBLIC_BASE_URL"]).rstrip("/")
    if not config["COLLECTOR_URL"]:
        config["COLLECTOR_URL"] = config["PUBLIC_BASE_URL"] + "/submit"
    if not config["ADMIN_URL"]:
        collector = str(config["COLLECTOR_URL"]).rstrip("/")
        base = collector[: -len("/submit")] if collector.endswith("/submit") else collector
        config["ADMIN_URL"] = base + "/admin"
    config["ADMIN_URL"] = str(config["ADMIN_URL"]).rstrip("/")
    config["GOOGLE_LOCATIONS"] = parse_list(config["GOOGLE_LOCATIONS"])
    config["GOOGLE_LOCATION_MAP"] = parse_mapping(config["GOOGLE_LOCATION_MAP"])
    config["ALLOWED_ORIGINS"] = parse_list(config["ALLOWED_ORIGINS"])
    config["PROXY_HOPS"] = int(config["PROXY_HOPS"])
    if str(config["RATELIMIT_STORAGE_URI"]).startswith(("redis", "rediss")):
        options = {**REDIS_OPTIONS, **dict(config["RATELIMIT_STORAGE_OPTIONS"] or {})}
        config["RATELIMIT_STORAGE_OPTIONS"] = options
    config["STATE"] = str(config["STATE"]).upper()
    config["ACCESSIBILITY_REVIEWED"] = parse_date(config["ACCESSIBILITY_REVIEWED"])
    config["ROBOTS"] = parse_robots(config["ROBOTS"])
    production = config["ENV"] == "production"
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["SESSION_COOKIE_SECURE"] = production
    config["SESSION_COOKIE_NAME"] = "krm_session"
    config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=config["ADMIN_SESSION_HOURS"])
    config["WTF_CSRF_TIME_LIMIT"] = None  # the token lives as long as the session
    if not config["SECRET_KEY"]:
        if production:
            raise ConfigurationError("KRM_SECRET_KEY must be set in production.")
        config["SECRET_KEY"] = _development_secret(Path(app.instance_path))
    elif production and (
        config["SECRET_KEY"].lower() in WEAK_SECRETS or len(config["SECRET_KEY"]) < 32
    ):
        raise ConfigurationError("KRM_SECRET_KEY is too weak: use at least 32 random characters.")


def parse_list(value: Any) -> list[str]:
    """A list setting may be a JSON list (already parsed) or a comma-separated string."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = value.split(",")
    if isinstance(value, str):
        value = [value]
    return [str(item).strip() for item in value if str(item).strip()]


def parse_date(value: Any) -> date:
    """A date setting: an ISO date string (``2026-12-02``) or a TOML date."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as error:
        raise ConfigurationError(f"{value!r} is not a date: write it as 2026-12-02.") from error


def parse_robots(value: Any) -> str:
    """``allow``, ``deny`` or a robots.txt text; a lone word that is neither is a typo, not a text
    (served as it is, it would let crawlers into the admin area)."""
    text = str(value if value is not None else "allow").strip()
    if text.lower() in ("allow", "deny"):
        return text.lower()
    if ":" not in text:
        raise ConfigurationError(
            f"KRM_ROBOTS is {text!r}: write allow, deny or the text of robots.txt."
        )
    return text


def parse_mapping(value: Any) -> dict[str, str]:
    """A mapping setting: a JSON object (already parsed) or ``key=value`` pairs, comma-separated."""
    if not value:
        return {}
    if isinstance(value, str):
        pairs = [item.split("=", 1) for item in value.split(",") if "=" in item]
        return {key.strip(): val.strip() for key, val in pairs if key.strip() and val.strip()}
    return {str(key): str(val) for key, val in dict(value).items()}


def _development_secret(instance: Path) -> str:
    """A random key, created once and kept in the instance folder, so sessions survive restarts."""
    key_file = instance / "secret_key"
    if key_file.is_file():
        return key_file.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.touch(mode=0o600)
    key_file.write_text(key)
    return key
