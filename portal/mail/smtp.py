"""Outgoing e-mail: the SMTP settings, building a safe message, and one SMTP connection.

Standard library only (smtplib, email). A message is built from values we control: addresses are
validated (email-validator) before they reach a header, subjects are one line without control
characters, and no citizen's text is ever put into a header. Every message is plain text with an
HTML alternative and carries ``Date``, ``Message-ID`` and ``Auto-Submitted: auto-generated``.
"""

from __future__ import annotations

import html
import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import lru_cache
from typing import Any

from email_validator import EmailNotValidError, validate_email

from portal.settings import parse_list

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_PARAGRAPHS = re.compile(r"\n\s*\n")
_LINK = re.compile(r"https?://[^\s<>\"]+")


class MailError(Exception):
    """Sending failed. ``permanent``: the server refused this message for good (a 5xx reply)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class ConnectionFailed(MailError):
    """The SMTP server could not be reached or refused the session: nothing can go out now."""


def valid_address(value: str | None) -> str | None:
    """A validated, normalised address safe for a header (ASCII domain); None if it is none."""
    if not value or _CONTROL.search(value):
        return None
    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError:
        return None
    return checked.ascii_email or checked.normalized


def one_line(value: str) -> str:
    """Header text: control characters and line breaks become spaces, runs of space collapse."""
    return " ".join(_CONTROL.sub(" ", value).split())


@dataclass(frozen=True)
class MailConfig:
    """The mail settings (``KRM_MAIL_*``); ``problem()`` says what is missing to send."""

    server: str | None
    port: int = 25
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    use_tls: bool = False
    sender: str | None = None
    sender_name: str | None = None
    notify: tuple[str, ...] = ()
    invalid_notify: tuple[str, ...] = ()
    timeout: float = 10.0
    ca_file: str | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MailConfig:
        """Read once per distinct settings: validating addresses costs a millisecond, and the
        collector asks on every submission."""
        values = tuple((key, _hashable(config.get(key))) for key in CONFIG_KEYS)
        return _mail_config(values)

    @classmethod
    def _read(cls, config: Mapping[str, Any]) -> MailConfig:
        name, address = parseaddr(str(config.get("MAIL_FROM") or ""))
        notify = parse_list(config.get("MAIL_NOTIFY"))
        checked = [(item, valid_address(item)) for item in notify]
        return cls(
            server=(str(config.get("MAIL_SERVER") or "").strip() or None),
            port=int(config.get("MAIL_PORT") or 25),
            username=config.get("MAIL_USERNAME") or None,
            password=config.get("MAIL_PASSWORD") or None,
            use_tls=_flag(config.get("MAIL_USE_TLS")),
            sender=valid_address(address),
            sender_name=one_line(name or str(config.get("JOBCENTER_NAME") or "")) or None,
            notify=tuple(dict.fromkeys(good for _item, good in checked if good)),
            invalid_notify=tuple(item for item, good in checked if not good),
            timeout=float(config.get("MAIL_TIMEOUT") or 10),
            ca_file=config.get("MAIL_CA_FILE") or None,
        )

    @property
    def enabled(self) -> bool:
        return self.server is not None and self.sender is not None

    def problem(self) -> str | None:
        """Why no mail can be sent, in German; None when the settings are complete."""
        missing = []
        if not self.server:
            missing.append("KRM_MAIL_SERVER")
        if not self.sender:
            missing.append("KRM_MAIL_FROM (eine gültige Absenderadresse)")
        if missing:
            return "E-Mail ist ausgeschaltet: Es fehlt " + " und ".join(missing) + "."
        return None

    @property
    def domain(self) -> str:
        return (self.sender or "localhost").rpartition("@")[2]


CONFIG_KEYS = (
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_USE_TLS",
    "MAIL_FROM",
    "MAIL_NOTIFY",
    "MAIL_TIMEOUT",
    "MAIL_CA_FILE",
    "JOBCENTER_NAME",
)


@lru_cache(maxsize=16)
def _mail_config(values: tuple[tuple[str, Any], ...]) -> MailConfig:
    return MailConfig._read(dict(values))


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on", "ja"}
    return bool(value)


@dataclass(frozen=True)
class Mail:
    """One message as our code composed it: recipient, subject, plain text, language."""

    to: str
    subject: str
    text: str
    language: str = "de"
    direction: str = "ltr"
    html_body: str | None = None  # default: the plain text as paragraphs


def build_message(mail: Mail, config: MailConfig, *, now: datetime, token: str) -> EmailMessage:
    """The MIME message; ``token`` makes the Message-ID, stable over every retry of one message."""
    to = valid_address(mail.to)
    if to is None or config.sender is None:
        raise MailError("Die Empfängeradresse ist ungültig.", permanent=True)
    message = EmailMessage()
    message["From"] = Address(display_name=config.sender_name or "", addr_spec=config.sender)
    message["To"] = to
    message["Subject"] = one_line(mail.subject)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<{token}@{config.domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"  # no out-of-office replies from Exchange
    message.set_content(mail.text)
    message.add_alternative(
        mail.html_body or text_as_html(mail.text, mail.language, mail.direction), subtype="html"
    )
    message["Content-Language"] = mail.language  # after the parts: they take Content-* along
    return message


def text_as_html(text: str, language: str, direction: str = "ltr") -> str:
    """Plain text as a small HTML document: paragraphs, line breaks, links; everything escaped."""
    paragraphs = []
    for block in _PARAGRAPHS.split(text.strip()):
        escaped = html.escape(block)
        linked = _LINK.sub(lambda match: f'<a href="{match[0]}">{match[0]}</a>', escaped)
        paragraphs.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    return html_document("\n".join(paragraphs), language, direction)


def html_document(body: str, language: str, direction: str = "ltr") -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(language)}" dir="{html.escape(direction)}">'
        '<head><meta charset="utf-8"></head>'
        '<body style="font-family: sans-serif; line-height: 1.5">\n'
        f"{body}\n</body></html>\n"
    )


class SmtpConnection:
    """One session with the configured server: ``with SmtpConnection(config) as smtp: smtp.send``.

    STARTTLS when ``use_tls`` (certificate checked, against ``ca_file`` if given), then login when
    a username is set. Failures become ``ConnectionFailed`` (the server as a whole) or
    ``MailError`` (this message; ``permanent`` for a 5xx reply).
    """

    def __init__(self, config: MailConfig) -> None:
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpConnection:
        config = self.config
        try:
            smtp = smtplib.SMTP(config.server or "", config.port, timeout=config.timeout)
        except (OSError, smtplib.SMTPException) as error:
            raise ConnectionFailed(
                f"Der Mailserver ist nicht erreichbar: {_reason(error)}"
            ) from error
        try:
            smtp.ehlo()
            if config.use_tls:
                context = ssl.create_default_context(cafile=config.ca_file)
                smtp.starttls(context=context)
                smtp.ehlo()
            if config.username:
                smtp.login(config.username, config.password or "")
        except smtplib.SMTPAuthenticationError as error:
            smtp.close()
            raise ConnectionFailed(
                "Der Mailserver hat die Anmeldung abgelehnt (KRM_MAIL_USERNAME/KRM_MAIL_PASSWORD)."
            ) from error
        except (OSError, smtplib.SMTPException) as error:
            smtp.close()
            raise ConnectionFailed(
                f"Der Mailserver ist nicht erreichbar: {_reason(error)}"
            ) from error
        self.smtp = smtp
        return self

    def send(self, message: EmailMessage) -> None:
        if self.smtp is None:
            raise RuntimeError("send() is only possible inside the connection's with block")
        try:
            refused = self.smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise MailError(
                f"Der Mailserver lehnt die Empfängeradresse ab ({code} {_text(reply)}).",
                permanent=code >= 500,
            ) from error
        except smtplib.SMTPResponseException as error:
            raise MailError(
                f"Der Mailserver hat die Nachricht abgelehnt ({error.smtp_code} "
                f"{_text(error.smtp_error)})."
            ) from error
        except smtplib.SMTPNotSupportedError as error:
            raise MailError(
                "Der Mailserver kann diese Adresse nicht zustellen (SMTPUTF8 fehlt).",
                permanent=True,
            ) from error
        except (OSError, smtplib.SMTPException) as error:
            raise ConnectionFailed(
                f"Die Verbindung zum Mailserver ist abgebrochen: {_reason(error)}"
            ) from error
        if refused:
            raise MailError("Der Mailserver lehnt die Empfängeradresse ab.", permanent=True)

    def __exit__(self, *_exc: object) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()


def _unreachable(error: BaseException) -> ConnectionFailed:
    return ConnectionFailed(f"Der Mailserver ist nicht erreichbar: {_reason(error)}")


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return one_line(text)[:200]


def _reason(error: BaseException) -> str:
    return one_line(str(error) or type(error).__name__)[:200]
