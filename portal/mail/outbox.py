"""The mail outbox: messages written in the same transaction as their cause, sent afterwards.

A submission that asks for an answer writes an acknowledgement row in its own transaction (one
small Core insert); the officer's interim reply and the daily digest are rows too. ``send_due``
delivers what is due: it claims each row with one conditional UPDATE (committed before the SMTP
server is asked), so two senders never send the same message, and a sender that dies leaves its
claim to expire. A failure keeps the row, waiting with exponential backoff; a 5xx refusal of the
address, or retrying longer than ``KRM_MAIL_GIVE_UP_HOURS``, marks it failed for the officer. The
SMTP server may accept a message and the sender die before it records that: the message would be
sent again, with the same ``Message-ID`` (delivery is at least once, never lost).

Citizen mails are composed when sent, from the entry and the templates; the digest is composed
when queued (a snapshot of that morning). Once sent or discarded a row forgets its address.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import ForeignKey, Index, String, Text, delete, insert, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.audit import record
from portal.db import Base, UTCDateTime, utcnow, vocab_type
from portal.deadlines import local_date
from portal.direct import Direct
from portal.feedback import Feedback
from portal.i18n import language
from portal.mail.smtp import (
    ConnectionFailed,
    Mail,
    MailConfig,
    MailError,
    SmtpConnection,
    build_message,
)
from portal.mail.texts import compose, long_date
from portal.vocab import MailKind, MailStatus, Status

log = logging.getLogger(__name__)

MAIL_ACTOR = "E-Mail (automatisch)"
# How long a claimed message is left to its sender before another may try it.
CLAIM_LEASE = timedelta(minutes=5)
# After a submission the collector tries at once, but never waits long for the server.
SUBMIT_TIMEOUT = 5.0


class OutboxMessage(Base):
    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MailKind] = mapped_column(vocab_type(MailKind))
    status: Mapped[MailStatus] = mapped_column(vocab_type(MailStatus), default=MailStatus.PENDING)
    feedback_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), index=True
    )
    # Erased once the message is sent or discarded: the address is needed only to deliver.
    recipient: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(8))
    # Values the officer gave (the interim reply's reason and date), as JSON.
    params: Mapped[str | None] = mapped_column(Text)
    # Composed when queued (the digest); citizen mails are composed when sent.
    subject: Mapped[str | None] = mapped_column(String(200))
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    # The Message-ID's left part: the same for every attempt of one message.
    token: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why the last attempt failed, or why the message was discarded (German, for the officer).
    last_error: Mapped[str | None] = mapped_column(Text)

    @property
    def values(self) -> dict[str, str]:
        return json.loads(self.params) if self.params else {}


@dataclass(frozen=True)
class Retry:
    """Backoff: ``base`` seconds, doubled per attempt up to ``longest``; failed after ``give_up``.

    With the defaults a message waits 1, 2, 4, 8 minutes, then every 10 minutes: an hour's
    outage delays it by at most 10 minutes after the server is back.
    """

    base: float = 60.0
    longest: float = 600.0
    give_up: timedelta = timedelta(hours=72)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Retry:
        return cls(
            base=float(config["MAIL_RETRY_BASE_DELAY"]),
            longest=float(config["MAIL_RETRY_MAX_DELAY"]),
            give_up=timedelta(hours=float(config["MAIL_GIVE_UP_HOURS"])),
        )

    def delay(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.base * 2 ** max(attempts - 1, 0), self.longest))


@dataclass(frozen=True)
class Sender:
    """What sending needs besides the session: the settings, the Jobcenter's name, the backoff."""

    config: MailConfig
    jobcenter: str
    retry: Retry = Retry()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Sender:
        return cls(
            MailConfig.from_config(config), config["JOBCENTER_NAME"], Retry.from_config(config)
        )


@dataclass
class SendResult:
    sent: int = 0
    waiting: int = 0  # failed this time, tried again later
    failed: int = 0
    discarded: int = 0
    error: str | None = None  # the server could not be reached
    errors: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        parts = [f"{self.sent} gesendet", f"{self.waiting} warten auf einen neuen Versuch"]
        if self.failed:
            parts.append(f"{self.failed} fehlgeschlagen")
        if self.discarded:
            parts.append(f"{self.discarded} verworfen")
        return "E-Mails: " + ", ".join(parts) + "."


# --- queueing ----------------------------------------------------------------------------------


def enqueue(
    session: Session | Direct,
    *,
    kind: MailKind,
    recipient: str,
    lang: str,
    now: datetime,
    feedback_id: int | None = None,
    params: Mapping[str, str] | None = None,
    subject: str | None = None,
    body_text: str | None = None,
    body_html: str | None = None,
) -> int:
    """Write one message to the outbox (a Core insert, cheap on the collector's path)."""
    return session.execute(
        insert(OutboxMessage)
        .values(
            kind=kind,
            status=MailStatus.PENDING,
            feedback_id=feedback_id,
            recipient=recipient,
            language=lang,
            params=json.dumps(dict(params), ensure_ascii=False) if params else None,
            subject=subject,
            body_text=body_text,
            body_html=body_html,
            token=uuid.uuid4().hex,
            created_at=now,
            next_attempt_at=now,
            attempts=0,
        )
        .returning(OutboxMessage.id)
    ).scalar_one()


# --- sending -----------------------------------------------------------------------------------


def send_due(
    session: Session,
    sender: Sender,
    *,
    now: datetime | None = None,
    only: Iterable[int] | None = None,
    limit: int = 500,
) -> SendResult:
    """Send what is due (or only the given ids, if due), over one SMTP connection.

    Commits after each claim and each outcome: a claim must be visible to other senders before
    the server is asked, and an outcome must be kept before the next message is tried.
    """
    started = utcnow()
    start = now or started

    def clock() -> datetime:
        """``now`` moving on with the real time: a long batch never claims with a stale lease."""
        return start + (utcnow() - started)

    result = SendResult()
    due = _due_ids(session, start, only, limit)
    if not due:
        return result
    handled: set[int] = set()
    try:
        with SmtpConnection(sender.config) as smtp:
            for message_id in due:
                handled.add(message_id)
                moment = clock()
                message = _claim(session, message_id, moment)
                if message is not None:
                    _send_one(session, smtp, message, sender, moment, result)
                    session.commit()
    except ConnectionFailed as error:
        # The server is away: what was not tried waits too, so the backoff applies to all.
        session.rollback()
        result.error = str(error)
        for message_id in [m for m in due if m not in handled]:
            moment = clock()
            message = _claim(session, message_id, moment)
            if message is not None:
                _retry(message, str(error), sender.retry, moment, result)
        session.commit()
    return result


def _due_ids(session: Session, now: datetime, only: Iterable[int] | None, limit: int) -> list[int]:
    query = select(OutboxMessage.id).where(
        OutboxMessage.status == MailStatus.PENDING,
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
    )
    if only is not None:
        query = query.where(OutboxMessage.id.in_(list(only)))
    query = query.order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)
    return list(session.scalars(query))


def _claim(session: Session, message_id: int, now: datetime) -> OutboxMessage | None:
    """Take the message for this sender, atomically; None if another sender has it or it is done."""
    claimed = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == MailStatus.PENDING,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
        )
        .values(claimed_until=now + CLAIM_LEASE)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    if claimed != 1:
        return None
    message = session.get(OutboxMessage, message_id)
    session.refresh(message)
    return message


def _send_one(
    session: Session,
    smtp: SmtpConnection,
    message: OutboxMessage,
    sender: Sender,
    now: datetime,
    result: SendResult,
) -> None:
    try:
        mail = compose_mail(session, message, sender)
        if isinstance(mail, str):
            _finish(message, MailStatus.CANCELLED, now, error=mail)
            result.discarded += 1
            return
        smtp.send(build_message(mail, sender.config, now=utcnow(), token=message.token))
    except ConnectionFailed as error:
        _retry(message, str(error), sender.retry, now, result)
        session.commit()
        raise
    except MailError as error:
        if error.permanent:
            _finish(message, MailStatus.FAILED, now, error=str(error), keep_recipient=True)
            result.failed += 1
            result.errors.append(f"Nachricht {message.id}: {error}")
        else:
            _retry(message, str(error), sender.retry, now, result)
        return
    _sent(session, message, now)
    result.sent += 1


def compose_mail(session: Session, message: OutboxMessage, sender: Sender) -> Mail | str:
    """The mail to send, or (a string) why it is no longer to be sent."""
    if message.recipient is None:
        raise MailError("Die Nachricht hat keine Empfängeradresse mehr.", permanent=True)
    if message.kind == MailKind.DIGEST:
        return Mail(
            to=message.recipient,
            subject=message.subject or "",
            text=message.body_text or "",
            language=message.language,
            html_body=message.body_html,
        )
    feedback = session.get(Feedback, message.feedback_id) if message.feedback_id else None
    if feedback is None:
        return "Nicht gesendet: Den Eintrag gibt es nicht mehr."
    if feedback.status == Status.SPAM:
        return "Nicht gesendet: Der Eintrag ist als Spam markiert."
    if message.kind == MailKind.ACKNOWLEDGEMENT and feedback.acknowledged_at is not None:
        return "Nicht gesendet: Der Eingang war schon bestätigt."
    lang = message.language
    values = {
        "aktenzeichen": feedback.reference,
        "jobcenter": sender.jobcenter,
        "eingang": long_date(local_date(feedback.received_at), lang),
        "abschluss": long_date(local_date(feedback.close_by), lang),
    } | message.values
    subject, text = compose(session, message.kind, lang, values)
    return Mail(message.recipient, subject, text, lang, language(lang).direction)


def _retry(
    message: OutboxMessage, error: str, retry: Retry, now: datetime, result: SendResult
) -> None:
    message.attempts += 1
    message.last_attempt_at = now
    message.last_error = error
    message.claimed_until = None
    if now - message.created_at >= retry.give_up:
        message.status = MailStatus.FAILED
        result.failed += 1
        result.errors.append(f"Nachricht {message.id}: {error}")
    else:
        message.next_attempt_at = now + retry.delay(message.attempts)
        result.waiting += 1


def _finish(
    message: OutboxMessage,
    status: MailStatus,
    now: datetime,
    *,
    error: str | None = None,
    keep_recipient: bool = False,
) -> None:
    message.status = status
    message.last_error = error
    message.claimed_until = None
    if status != MailStatus.CANCELLED:
        message.attempts += 1
        message.last_attempt_at = now
    if not keep_recipient:
        message.recipient = None


def _sent(session: Session, message: OutboxMessage, now: datetime) -> None:
    _finish(message, MailStatus.SENT, now)
    message.sent_at = now
    if message.kind == MailKind.DIGEST or message.feedback_id is None:
        return
    feedback = session.get(Feedback, message.feedback_id)
    if message.kind == MailKind.ACKNOWLEDGEMENT:
        field_name, action = "acknowledged_at", "acknowledged by mail"
    else:
        field_name, action = "interim_sent_at", "interim reply sent"
    old = getattr(feedback, field_name)
    changes: dict[str, Any] = {field_name: [old.isoformat() if old else None, now.isoformat()]}
    setattr(feedback, field_name, now)
    feedback.updated_at = now
    record(
        session,
        at=now,
        actor=MAIL_ACTOR,
        action=action,
        feedback_id=feedback.id,
        changes=changes | message.values,
    )


def send_after_response(app: Flask, ids: list[int]) -> None:
    """Try the messages a request queued, once, after its response went out; never raises.

    Runs from ``response.call_on_close``: the citizen already has the 303. The short timeout
    bounds how long the worker is held when the server does not answer; cron does the rest.
    """
    from portal.extensions import db

    try:
        with app.app_context():
            sender = Sender.from_config(app.config)
            config = replace(sender.config, timeout=min(sender.config.timeout, SUBMIT_TIMEOUT))
            send_due(db.session, replace(sender, config=config), only=ids)
    except Exception:  # the outbox keeps the message for `krm mail send`
        log.warning("Sending mail after the response failed; cron will retry.", exc_info=True)


# --- the officer's actions, and retention ------------------------------------------------------


def retry_now(
    session: Session, message: OutboxMessage, *, now: datetime, actor: str, actor_id: int | None
) -> None:
    """A failed (or waiting) message goes back to the queue, due at once."""
    message.status = MailStatus.PENDING
    message.next_attempt_at = now
    message.claimed_until = None
    _audit(session, message, "mail: retry", actor, actor_id, now)


def discard(
    session: Session, message: OutboxMessage, *, now: datetime, actor: str, actor_id: int | None
) -> None:
    _finish(message, MailStatus.CANCELLED, now, error=f"Verworfen von {actor}.")
    _audit(session, message, "mail: discarded", actor, actor_id, now)


def _audit(
    session: Session,
    message: OutboxMessage,
    action: str,
    actor: str,
    actor_id: int | None,
    now: datetime,
) -> None:
    record(
        session,
        at=now,
        actor=actor,
        actor_id=actor_id,
        action=action,
        feedback_id=message.feedback_id,
        subject=f"mail:{message.id}",
        changes={"kind": message.kind.label},
    )
    session.flush()


def purge_outbox(session: Session, *, before: datetime) -> int:
    """Delete finished messages (sent, failed, discarded) queued before ``before``."""
    finished = (MailStatus.SENT, MailStatus.FAILED, MailStatus.CANCELLED)
    return session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.status.in_(finished), OutboxMessage.created_at < before
        )
    ).rowcount


def forget_feedback(session: Session, feedback_ids: Iterable[int]) -> int:
    """Delete every message of these entries (when their contact data is purged)."""
    return session.execute(
        delete(OutboxMessage).where(OutboxMessage.feedback_id.in_(list(feedback_ids)))
    ).rowcount
