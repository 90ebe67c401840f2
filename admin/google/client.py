"""A small client for the Google Business Profile v4 reviews API.

It lists the reviews of a location (following ``nextPageToken`` to the end), and publishes or
deletes the reply to one review. Every failure ends as one ``GoogleError`` with a German message
the KRM officer can act on; the CLI prints it as one line, the admin area shows it. 429, 5xx and
connection errors are retried with exponential backoff, honouring ``Retry-After``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

SCOPES = ("https://www.googleapis.com/auth/business.manage",)
PAGE_SIZE = 50
# Google's limit for a reply, in bytes of UTF-8 (not characters).
MAX_REPLY_BYTES = 4096
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# The longest wait before a retry; a Retry-After beyond it ends the attempt at once. The admin
# area uses a shorter one (``INTERACTIVE_MAX_WAIT``): the officer waits in front of the page.
MAX_WAIT_SECONDS = 120.0
INTERACTIVE_MAX_WAIT = 5.0
SETTINGS_HINT = "KRM_GOOGLE_ACCESS_TOKEN bzw. die Datei in KRM_GOOGLE_CREDENTIALS"


class GoogleError(Exception):
    """A failure talking to Google, with a German message for the officer."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class GoogleConfig:
    """The settings the client needs; ``from_config`` reads them from the app config."""

    base_url: str
    account: str | None
    locations: tuple[str, ...] = ()
    credentials_file: str | None = None
    access_token: str | None = None
    timeout: float = 30.0
    max_retries: int = 3
    retry_base_delay: float = 1.0
    max_wait: float = MAX_WAIT_SECONDS

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> GoogleConfig:
        return cls(
            base_url=str(config["GOOGLE_API_BASE_URL"]).rstrip("/"),
            account=config.get("GOOGLE_ACCOUNT") or None,
            locations=tuple(config.get("GOOGLE_LOCATIONS") or ()),
            credentials_file=config.get("GOOGLE_CREDENTIALS") or None,
            access_token=config.get("GOOGLE_ACCESS_TOKEN") or None,
            timeout=float(config.get("GOOGLE_TIMEOUT", 30)),
            max_retries=int(config.get("GOOGLE_MAX_RETRIES", 3)),
            retry_base_delay=float(config.get("GOOGLE_RETRY_BASE_DELAY", 1.0)),
        )

    def problem(self) -> str | None:
        """What is missing for the API to be used, in German; None when complete."""
        missing = []
        if not self.account:
            missing.append("KRM_GOOGLE_ACCOUNT (accounts/…)")
        if not self.locations:
            missing.append("KRM_GOOGLE_LOCATIONS (locations/…)")
        if not (self.access_token or self.credentials_file):
            missing.append("KRM_GOOGLE_CREDENTIALS oder KRM_GOOGLE_ACCESS_TOKEN")
        if not missing:
            return None
        return "Google ist nicht eingerichtet; es fehlt: " + ", ".join(missing) + "."


class TokenSource:
    """Where the bearer token comes from: a fixed token, or OAuth credentials via google-auth."""

    def __init__(self, *, access_token: str | None = None, credentials: Any = None) -> None:
        self._token = access_token
        self._credentials = credentials

    @classmethod
    def from_config(cls, config: GoogleConfig) -> TokenSource:
        if config.access_token:
            return cls(access_token=config.access_token)
        if config.credentials_file:
            return cls(credentials=load_credentials(config.credentials_file))
        raise GoogleError(config.problem() or "Google ist nicht eingerichtet.")

    @property
    def refreshable(self) -> bool:
        return self._credentials is not None

    def token(self, *, force_refresh: bool = False) -> str:
        if self._credentials is None:
            return str(self._token)
        if force_refresh or not self._credentials.valid:
            self._refresh()
        return self._credentials.token

    def _refresh(self) -> None:
        import google.auth.exceptions
        from google.auth.transport.requests import Request

        try:
            self._credentials.refresh(Request())
        except google.auth.exceptions.RefreshError as error:
            raise GoogleError(
                "Die Anmeldung bei Google ist fehlgeschlagen: Die Zugangsdaten sind abgelaufen, "
                f"widerrufen oder falsch. Bitte erneuern Sie {SETTINGS_HINT}. ({_short(error)})",
                401,
            ) from error
        except google.auth.exceptions.TransportError as error:
            raise GoogleError(
                f"Keine Verbindung zum Anmeldedienst von Google: {_short(error)}"
            ) from error


def load_credentials(path: str) -> Any:
    """OAuth credentials from a file: an authorised-user file or a service-account key."""
    from google.oauth2 import credentials as user_credentials
    from google.oauth2 import service_account

    file = Path(path)
    prefix = f"Die Google-Zugangsdaten in KRM_GOOGLE_CREDENTIALS ({file})"
    try:
        info = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise GoogleError(f"{prefix} gibt es nicht.") from error
    except OSError as error:
        raise GoogleError(f"{prefix} lassen sich nicht lesen: {error.strerror}.") from error
    except ValueError as error:
        raise GoogleError(f"{prefix} sind keine gültige JSON-Datei: {_short(error)}.") from error
    if not isinstance(info, dict):
        raise GoogleError(f"{prefix} sind keine OAuth-Zugangsdaten.")
    try:
        if info.get("type") == "service_account":
            return service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
        return user_credentials.Credentials.from_authorized_user_info(info, scopes=SCOPES)
    except (ValueError, KeyError) as error:
        raise GoogleError(
            f"{prefix} sind unvollständig oder keine OAuth-Zugangsdaten: {_short(error)}."
        ) from error


@dataclass
class GoogleClient:
    """Talks to ``{base_url}/{account}/{location}/reviews…``; one instance per sync or reply."""

    config: GoogleConfig
    tokens: TokenSource
    sleep: Callable[[float], None] = time.sleep
    http: requests.Session = field(default_factory=requests.Session)

    @classmethod
    def from_config(cls, config: GoogleConfig, **kwargs: Any) -> GoogleClient:
        if not config.account:
            raise GoogleError(config.problem() or "KRM_GOOGLE_ACCOUNT fehlt.")
        return cls(config, TokenSource.from_config(config), **kwargs)

    def list_reviews(self, location: str) -> list[dict[str, Any]]:
        """Every review of a location, all pages."""
        reviews: list[dict[str, Any]] = []
        token: str | None = None
        seen: set[str] = set()
        while True:
            params = {"pageSize": str(PAGE_SIZE)}
            if token:
                params["pageToken"] = token
            page = self._request(
                "GET",
                self._url(location, "reviews"),
                params=params,
                what=f"den Standort {location}",
            )
            reviews.extend(page.get("reviews") or [])
            token = page.get("nextPageToken") or None
            if not token:
                return reviews
            if token in seen:  # a server that repeats itself must not keep us here for ever
                raise GoogleError("Google hat dieselbe Seite der Rezensionen mehrfach geschickt.")
            seen.add(token)

    def put_reply(self, location: str, review_id: str, comment: str) -> dict[str, Any]:
        """Publish or replace the reply; returns Google's ``ReviewReply`` (comment, updateTime)."""
        check_reply_length(comment)
        return self._request(
            "PUT",
            self._url(location, f"reviews/{quote(review_id, safe='')}/reply"),
            json={"comment": comment},
            what="diese Rezension",
        )

    def delete_reply(self, location: str, review_id: str) -> None:
        self._request(
            "DELETE",
            self._url(location, f"reviews/{quote(review_id, safe='')}/reply"),
            what="diese Rezension",
        )

    def _url(self, location: str, tail: str) -> str:
        return f"{self.config.base_url}/{self.config.account}/{location}/{tail}"

    def _request(self, method: str, url: str, *, what: str, **kwargs: Any) -> dict[str, Any]:
        attempt = 0
        refreshed = False
        while True:
            headers = {
                "Authorization": f"Bearer {self.tokens.token()}",
                "Accept": "application/json",
            }
            try:
                response = self.http.request(
                    method, url, headers=headers, timeout=self.config.timeout, **kwargs
                )
            except requests.RequestException as error:
                wait = self._backoff(attempt) if attempt < self.config.max_retries else None
                if wait is not None:
                    self.sleep(wait)
                    attempt += 1
                    continue
                raise _connection_error(error, self.config.base_url, attempt + 1) from error
            status = response.status_code
            if status == 401 and self.tokens.refreshable and not refreshed:
                self.tokens.token(force_refresh=True)  # an expired access token: renew once
                refreshed = True
                continue
            if status in RETRY_STATUSES and attempt < self.config.max_retries:
                wait = self._backoff(attempt, response.headers.get("Retry-After"))
                if wait is not None:
                    self.sleep(wait)
                    attempt += 1
                    continue
            if status >= 400:
                raise _error_for(response, what=what, attempts=attempt + 1)
            if not response.content:
                return {}
            try:
                body = response.json()
            except ValueError as error:
                raise GoogleError(
                    f"Google hat eine unverständliche Antwort geschickt (HTTP {status})."
                ) from error
            if not isinstance(body, dict):
                raise GoogleError(f"Google hat eine unerwartete Antwort geschickt (HTTP {status}).")
            return body

    def _backoff(self, attempt: int, retry_after: str | None = None) -> float | None:
        """Seconds to wait before the next try; None when Google asks for longer than we wait."""
        asked = _retry_after_seconds(retry_after)
        if asked is not None:
            return max(0.0, asked) if asked <= self.config.max_wait else None
        return min(self.config.retry_base_delay * 2**attempt, self.config.max_wait)


def _connection_error(
    error: requests.RequestException, base_url: str, attempts: int
) -> GoogleError:
    """No answer at all: say so without the HTTP library's internals."""
    if isinstance(error, requests.Timeout):
        what = "Google hat nicht rechtzeitig geantwortet"
    else:
        what = f"Keine Verbindung zu Google ({base_url})"
    return GoogleError(
        f"{what}, auch nach {_tries(attempts)}. Bitte prüfen Sie die Netzwerkverbindung des "
        "Servers und KRM_GOOGLE_API_BASE_URL, oder versuchen Sie es später erneut."
    )


def _tries(count: int) -> str:
    return "1 Versuch" if count == 1 else f"{count} Versuchen"


def check_reply_length(comment: str) -> None:
    size = len(comment.encode("utf-8"))
    if size > MAX_REPLY_BYTES:
        raise GoogleError(reply_too_long_message(size))


def reply_too_long_message(size: int) -> str:
    return (
        f"Die Antwort ist zu lang: {size} Byte, Google erlaubt höchstens {MAX_REPLY_BYTES} Byte "
        "(Umlaute und Sonderzeichen zählen doppelt oder mehr). Bitte kürzen Sie sie."
    )


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return moment.timestamp() - time.time()


def _error_for(response: requests.Response, *, what: str, attempts: int) -> GoogleError:
    status = response.status_code
    detail = _google_message(response)
    suffix = f" Google meldet: „{detail}“" if detail else ""
    if status == 401:
        message = (
            "Google lehnt die Anmeldung ab (401): Der Zugang ist abgelaufen oder ungültig. "
            f"Bitte erneuern Sie {SETTINGS_HINT}."
        )
    elif status == 403:
        message = (
            f"Google verweigert den Zugriff auf {what} (403): Das Google-Konto hat dafür keine "
            "Rechte, oder die Business Profile API ist für das Projekt nicht freigeschaltet."
        )
    elif status == 404:
        message = (
            f"Google kennt {what} nicht (404). Bitte prüfen Sie KRM_GOOGLE_ACCOUNT und "
            "KRM_GOOGLE_LOCATIONS – oder die Rezension wurde bei Google gelöscht."
        )
    elif status == 429:
        message = (
            f"Google begrenzt gerade die Zahl der Anfragen (429), auch nach {_tries(attempts)}. "
            "Bitte versuchen Sie es in einigen Minuten erneut."
        )
    elif status >= 500:
        message = (
            f"Google ist gerade gestört (HTTP {status}), auch nach {_tries(attempts)}. "
            "Bitte versuchen Sie es später erneut."
        )
    else:
        message = f"Google hat die Anfrage abgelehnt (HTTP {status})."
    return GoogleError(message + suffix, status)


def _google_message(response: requests.Response) -> str:
    """The ``error.message`` of Google's JSON error body, shortened; empty if there is none."""
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return _short(message) if message else ""


def _short(value: object, limit: int = 200) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
