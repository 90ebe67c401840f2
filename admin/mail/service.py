"""The officer's side of e-mail: the interim reply, the daily digest, the outbox at a glance.

Plain functions on a session. The interim reply and the digest are written to the outbox
(``portal.mail.outbox``) in the caller's transaction and sent afterwards. The digest holds counts,
references and links only: no citizen's text, no contact data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import render_template
from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from admin.accounts.models import User
from admin.inbox.query import overdue_condition
from portal import rollup
from portal.audit import record
from portal.deadlines import end_of_day, local_date, local_day
from portal.feedback import Feedback, reference
from portal.mail.outbox import OutboxMessage, enqueue
from portal.mail.smtp import MailConfig
from portal.mail.texts import long_date
from portal.vocab import OPEN_STATUSES, MailKind, MailStatus, Status

MAX_REASON = 1000
DIGEST_LIST = 30  # references listed per section; the rest is a count and a link


class MailActionError(ValueError):
    """An interim reply that cannot be sent as asked; the message (German) says why."""


# --- the interim reply (Zwischennachricht) ---------------------------------------------------


def messages_of(session: Session, feedback_id: int) -> Sequence[OutboxMessage]:
    return session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.feedback_id == feedback_id)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    ).all()


def interim_condition(now: datetime, reminder_days: int) -> ColumnElement[bool]:
    """Open, an e-mail answer owed, no interim reply yet, closing deadline within the days."""
    queued = select(OutboxMessage.id).where(
        OutboxMessage.feedback_id == Feedback.id,
        OutboxMessage.kind == MailKind.INTERIM,
        OutboxMessage.status.in_((MailStatus.PENDING, MailStatus.SENT)),
    )
    return and_(
        Feedback.status.in_(OPEN_STATUSES),
        Feedback.contact_email.isnot(None),
        Feedback.interim_sent_at.is_(None),
        Feedback.close_by <= now + timedelta(days=reminder_days),
        ~queued.exists(),
    )


def interim_due(feedback: Feedback, messages: Sequence[OutboxMessage], now: datetime, days: int):
    """The Python twin of ``interim_condition`` for the entry page."""
    queued = any(
        m.kind == MailKind.INTERIM and m.status in (MailStatus.PENDING, MailStatus.SENT)
        for m in messages
    )
    return (
        feedback.is_open
        and feedback.contact_email is not None
        and feedback.interim_sent_at is None
        and not queued
        and feedback.close_by <= now + timedelta(days=days)
    )


def interim_problem(
    feedback: Feedback, messages: Sequence[OutboxMessage], config: MailConfig
) -> str | None:
    """Why no interim reply can be sent for this entry (German); None if it can."""
    if not config.enabled:
        return config.problem()
    if feedback.contact_email is None:
        return "Hier gibt es keine E-Mail-Adresse: Eine Zwischennachricht geht nur per E-Mail."
    if not feedback.is_open:
        return "Der Eintrag ist abgeschlossen: Eine Zwischennachricht ist nicht mehr nötig."
    if any(m.kind == MailKind.INTERIM and m.status == MailStatus.PENDING for m in messages):
        return "Eine Zwischennachricht wartet schon auf den Versand."
    return None


def queue_interim(
    session: Session,
    feedback: Feedback,
    *,
    reason: str,
    until: date,
    config: MailConfig,
    actor: User,
    now: datetime,
) -> int:
    """Queue the Zwischennachricht with the reason and the expected date; audit it.

    Sent before the closing deadline has passed (within the 14 days, or before the date of an
    earlier interim reply), it moves the deadline to the end of ``until``: the entry is not
    overdue before it and counts as within the standard when closed by then. Sent later, the
    person still learns the date, but the missed deadline stays (docs/reports.md).
    """
    problem = interim_problem(feedback, messages_of(session, feedback.id), config)
    if problem:
        raise MailActionError(problem)
    reason = " ".join((reason or "").split())
    if not reason:
        raise MailActionError("Bitte nennen Sie den Grund, warum es länger dauert.")
    if len(reason) > MAX_REASON:
        raise MailActionError(f"Der Grund hat höchstens {MAX_REASON} Zeichen.")
    if until <= local_date(now):
        raise MailActionError("Das voraussichtliche Datum muss nach heute liegen.")
    params = {"grund": reason, "datum": long_date(until, feedback.language)}
    message_id = enqueue(
        session,
        kind=MailKind.INTERIM,
        recipient=feedback.contact_email,
        lang=feedback.language,
        now=now,
        feedback_id=feedback.id,
        params=params,
    )
    changes: dict[str, object] = {"reason": reason, "until": until.isoformat()}
    deadline = local_date(feedback.close_by).isoformat()
    if now <= feedback.close_by:
        before = rollup.of_entry(feedback)
        feedback.close_by = end_of_day(until)
        rollup.changed(session, feedback, before)
        feedback.updated_at = now
        changes["close_by"] = [deadline, until.isoformat()]
    else:
        changes["close_by_kept"] = deadline
    record(
        session,
        at=now,
        actor=actor.name,
        actor_id=actor.id,
        action="interim reply queued",
        feedback_id=feedback.id,
        changes=changes,
    )
    return message_id


# --- the outbox in the admin area --------------------------------------------------------------


@dataclass(frozen=True)
class OutboxView:
    open: Sequence[OutboxMessage]  # waiting or failed, oldest first
    recent: Sequence[OutboxMessage]  # sent or discarded, newest first
    waiting: int
    failed: int


def outbox_view(session: Session, *, recent: int = 20) -> OutboxView:
    unfinished = (MailStatus.PENDING, MailStatus.FAILED)
    open_messages = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status.in_(unfinished))
        .order_by(
            case((OutboxMessage.status == MailStatus.FAILED, 0), else_=1),
            OutboxMessage.created_at,
            OutboxMessage.id,
        )
    ).all()
    done = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status.notin_(unfinished))
        .order_by(OutboxMessage.id.desc())
        .limit(recent)
    ).all()
    failed = sum(1 for m in open_messages if m.status == MailStatus.FAILED)
    return OutboxView(open_messages, done, len(open_messages) - failed, failed)


def count_failed_mail(session: Session) -> int:
    """Messages that will not go out unless the officer acts: for the inbox's counts."""
    return session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.status == MailStatus.FAILED)
    )


# --- the daily digest (Tagesübersicht) ---------------------------------------------------------


@dataclass(frozen=True)
class DigestItem:
    reference: str
    url: str
    deadline: str  # "Abschluss bis 03.12.2026", in words, or ""


@dataclass(frozen=True)
class DigestSection:
    title: str
    count: int
    items: list[DigestItem]
    url: str  # the inbox, filtered to this section


@dataclass(frozen=True)
class Digest:
    day: date
    since: datetime
    sections: list[DigestSection]
    admin_url: str

    @property
    def empty(self) -> bool:
        return not any(section.count for section in self.sections)


def _deadline_words(feedback_id: int, acknowledge_by, acknowledged_at, close_by) -> str:
    if acknowledge_by is None:  # anonymous: the triage standard, as the entry page says
        return f"Sichtung bis {local_day(close_by)}"
    if acknowledged_at is None:
        return f"Eingangsbestätigung bis {local_day(acknowledge_by)}"
    return f"Abschluss bis {local_day(close_by)}"


def _section(
    session: Session, title: str, condition, admin_url: str, inbox_query: str, order
) -> DigestSection:
    columns = (
        Feedback.id,
        Feedback.acknowledge_by,
        Feedback.acknowledged_at,
        Feedback.close_by,
    )
    count = session.scalar(select(func.count()).select_from(Feedback).where(condition)) or 0
    rows = session.execute(select(*columns).where(condition).order_by(order).limit(DIGEST_LIST))
    items = [
        DigestItem(reference(row.id), f"{admin_url}/entries/{row.id}", _deadline_words(*row))
        for row in rows
    ]
    return DigestSection(title, count, items, f"{admin_url}/{inbox_query}")


def digest_contents(
    session: Session, *, now: datetime, since: datetime, admin_url: str, reminder_days: int
) -> Digest:
    """New since ``since``, deadlines today or tomorrow, overdue, interim replies due."""
    today = local_date(now)
    window_end = end_of_day(today + timedelta(days=1))
    acknowledgement_soon = and_(
        Feedback.acknowledged_at.is_(None),
        Feedback.acknowledge_by >= now,
        Feedback.acknowledge_by <= window_end,
    )
    closing_soon = and_(Feedback.close_by >= now, Feedback.close_by <= window_end)
    # Not overdue, spelt out: NOT over a NULL acknowledgement deadline would be NULL in SQL.
    not_late = and_(
        Feedback.close_by >= now,
        or_(
            Feedback.acknowledge_by.is_(None),
            Feedback.acknowledged_at.isnot(None),
            Feedback.acknowledge_by >= now,
        ),
    )
    soon = and_(
        Feedback.status.in_(OPEN_STATUSES), not_late, or_(acknowledgement_soon, closing_soon)
    )
    new = and_(
        Feedback.received_at >= since,
        Feedback.received_at < now,
        Feedback.status != Status.SPAM,
    )
    sections = [
        _section(session, "Neu eingegangen", new, admin_url, "?status=neu", Feedback.id.desc()),
        _section(
            session,
            "Frist heute oder morgen",
            soon,
            admin_url,
            "?sort=deadline",
            Feedback.close_by,
        ),
        _section(
            session,
            "Überfällig",
            overdue_condition(now),
            admin_url,
            "?overdue=yes",
            Feedback.close_by,
        ),
        _section(
            session,
            "Zwischennachricht fällig",
            interim_condition(now, reminder_days),
            admin_url,
            "?sort=deadline",
            Feedback.close_by,
        ),
    ]
    return Digest(today, since, sections, admin_url)


def last_digest_at(session: Session) -> datetime | None:
    return session.scalar(
        select(func.max(OutboxMessage.created_at)).where(OutboxMessage.kind == MailKind.DIGEST)
    )


def queue_digest(
    session: Session,
    config: MailConfig,
    *,
    now: datetime,
    admin_url: str,
    reminder_days: int,
    force: bool = False,
) -> tuple[Digest, list[int]] | None:
    """Queue today's digest to every KRM_MAIL_NOTIFY address; None if today's is queued already."""
    previous = last_digest_at(session)
    if previous is not None and local_date(previous) == local_date(now) and not force:
        return None
    since = previous if previous is not None else now - timedelta(days=1)
    digest = digest_contents(
        session, now=now, since=since, admin_url=admin_url, reminder_days=reminder_days
    )
    subject = digest_subject(digest)
    text = render_template("mail/digest.txt", digest=digest)
    html = render_template("mail/digest.html", digest=digest, subject=subject)
    ids = [
        enqueue(
            session,
            kind=MailKind.DIGEST,
            recipient=address,
            lang="de",
            now=now,
            subject=subject,
            body_text=text,
            body_html=html,
        )
        for address in config.notify
    ]
    return digest, ids


def digest_subject(digest: Digest) -> str:
    new, soon, overdue, _interim = (section.count for section in digest.sections)
    # Short enough never to be folded: a folded encoded word gains a space in some readers.
    return f"KRM {digest.day:%d.%m.%Y}: {new} neu, {soon} Frist bis morgen, {overdue} überfällig"
