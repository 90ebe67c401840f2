"""Answering Google reviews: drafts, publishing, deleting, and the reply templates.

A reply is a draft until published. The draft is stored (and committed by the caller) before
Google is called, so a failing call never loses what the officer wrote; the failure's reason is
stored with the draft and shown. Publishing erases the reviewer's name: it was kept for ``{name}``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from admin.google.client import (
    MAX_REPLY_BYTES,
    GoogleClient,
    GoogleError,
    reply_too_long_message,
)
from admin.google.models import GoogleReview, ReplyTemplate
from portal.audit import record
from portal.deadlines import local_date
from portal.placeholders import placeholder_problem

MAX_TITLE = 120
# Placeholders a template may use, with what they stand for (shown to the officer).
PLACEHOLDERS = {
    "name": "Name der Person, die bewertet hat (leer, wenn anonym oder schon gelöscht)",
    "jobcenter": "Name des Jobcenters",
    "sterne": "Sterne der Bewertung, z. B. „4 von 5 Sternen“",
    "datum": "Datum der Rezension, z. B. „20.11.2026“",
}
_SPACE_BEFORE_PUNCTUATION = re.compile(r"[ \t]+([,.!?;:])")
_SPACES = re.compile(r"[ \t]{2,}")


class ReplyError(ValueError):
    """A reply or template the officer must change first; the message says how."""


@dataclass(frozen=True)
class Actor:
    name: str
    id: int | None = None


# --- the review list ---------------------------------------------------------------------------


def list_reviews(session: Session) -> Sequence[GoogleReview]:
    """Unanswered first, then newest; reviews removed on Google last."""
    query = (
        select(GoogleReview)
        .options(selectinload(GoogleReview.feedback))
        .order_by(
            case((GoogleReview.removed_at.is_(None), 0), else_=1),
            case((GoogleReview.reply_text.is_(None), 0), else_=1),
            GoogleReview.created_at.desc(),
            GoogleReview.id.desc(),
        )
    )
    return session.scalars(query).all()


def count_unanswered(session: Session) -> int:
    return session.scalar(
        select(func.count())
        .select_from(GoogleReview)
        .where(GoogleReview.reply_text.is_(None), GoogleReview.removed_at.is_(None))
    )


def review_for_feedback(session: Session, feedback_id: int) -> GoogleReview | None:
    return session.scalars(
        select(GoogleReview).where(GoogleReview.feedback_id == feedback_id)
    ).one_or_none()


# --- drafts and publishing ------------------------------------------------------------------


def reply_problem(text: str | None) -> str | None:
    """Why a reply cannot go to Google as it is, in German; None if it can."""
    if not text or not text.strip():
        return "Bitte schreiben Sie eine Antwort."
    size = len(text.encode("utf-8"))
    if size > MAX_REPLY_BYTES:
        return reply_too_long_message(size)
    return None


def save_draft(
    session: Session, review: GoogleReview, text: str, *, actor: Actor, now: datetime
) -> None:
    """Keep the officer's text as the draft (nothing is sent to Google)."""
    problem = reply_problem(text)
    if problem:
        raise ReplyError(problem)
    text = _clean(text)
    if text == review.draft_text:
        return
    review.draft_text = text
    review.draft_saved_at = now
    _clear(review)
    _audit(session, review, actor, now, "google: reply draft saved")
    session.flush()


def discard_draft(session: Session, review: GoogleReview, *, actor: Actor, now: datetime) -> None:
    if review.draft_text is None:
        return
    _clear(review, draft=True)
    _audit(session, review, actor, now, "google: reply draft discarded")
    session.flush()


def publish_reply(
    session: Session, review: GoogleReview, client: GoogleClient, *, actor: Actor, now: datetime
) -> None:
    """Send the draft to Google. On failure the draft stays and the reason is stored; re-raised.

    The caller commits the draft before calling this, and commits again afterwards either way.
    """
    if review.draft_text is None:
        raise ReplyError("Es gibt keinen Entwurf zum Veröffentlichen.")
    problem = reply_problem(review.draft_text)
    if problem:
        raise ReplyError(problem)
    if review.removed_at is not None:
        raise ReplyError(
            "Die Rezension ist bei Google entfernt worden; sie lässt sich nicht beantworten."
        )
    replaced = review.reply_text is not None
    try:
        reply = client.put_reply(review.location, review.review_id, review.draft_text)
    except GoogleError as error:
        _failed(session, review, actor, now, "google: reply failed", error)
        raise
    review.reply_text = _text(reply.get("comment")) or review.draft_text
    review.reply_updated_at = _reply_time(reply.get("updateTime")) or now
    _clear(review, draft=True)
    review.reviewer_name = None  # it served the reply's {name}; Google shows the rest
    action = "google: reply updated" if replaced else "google: reply published"
    _audit(session, review, actor, now, action)
    session.flush()


def delete_reply(
    session: Session, review: GoogleReview, client: GoogleClient, *, actor: Actor, now: datetime
) -> None:
    """Delete the reply on Google; a draft, if any, stays."""
    if review.reply_text is None:
        raise ReplyError("Diese Rezension hat keine veröffentlichte Antwort.")
    try:
        client.delete_reply(review.location, review.review_id)
    except GoogleError as error:
        _failed(session, review, actor, now, "google: reply delete failed", error)
        raise
    review.reply_text = None
    review.reply_updated_at = None
    _clear(review)
    _audit(session, review, actor, now, "google: reply deleted")
    session.flush()


def _clear(review: GoogleReview, *, draft: bool = False) -> None:
    """Forget the last failure (and the draft, once it is published or discarded)."""
    if draft:
        review.draft_text = None
        review.draft_saved_at = None
    review.reply_error = None
    review.reply_error_at = None


def _failed(
    session: Session,
    review: GoogleReview,
    actor: Actor,
    now: datetime,
    action: str,
    error: GoogleError,
) -> None:
    review.reply_error = str(error)
    review.reply_error_at = now
    _audit(session, review, actor, now, action, {"status": error.status})
    session.flush()


def _reply_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


def _audit(
    session: Session,
    review: GoogleReview,
    actor: Actor,
    now: datetime,
    action: str,
    changes: dict[str, Any] | None = None,
) -> None:
    record(
        session,
        at=now,
        actor=actor.name,
        actor_id=actor.id,
        action=action,
        feedback_id=review.feedback_id,
        subject=f"{review.location}/reviews/{review.review_id}"[:120],
        changes=changes,
    )


# --- templates (Textbausteine) -------------------------------------------------------------


def template_problem(text: str | None) -> str | None:
    """Why a template text cannot be used, in German; None if it can."""
    if not text or not text.strip():
        return "Bitte schreiben Sie den Text des Textbausteins."
    return placeholder_problem(text, PLACEHOLDERS)


def render_reply(text: str, review: GoogleReview, *, jobcenter: str) -> str:
    """Fill a template's placeholders for one review."""
    problem = template_problem(text)
    if problem:
        raise ReplyError(problem)
    values = {
        "name": "" if review.anonymous else (review.reviewer_name or ""),
        "jobcenter": jobcenter,
        "sterne": review.stars_text,
        "datum": f"{local_date(review.created_at):%d.%m.%Y}",
    }
    filled = text.format(**values)
    filled = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", filled)  # "Hallo ," when the name is empty
    return _SPACES.sub(" ", filled).strip()


def list_templates(session: Session) -> Sequence[ReplyTemplate]:
    return session.scalars(select(ReplyTemplate).order_by(ReplyTemplate.title)).all()


def _check_template(
    session: Session, title: str | None, text: str | None, own_id: int | None
) -> tuple[str, str]:
    errors: dict[str, str] = {}
    title = " ".join((title or "").split())
    if not title:
        errors["title"] = "Bitte geben Sie dem Textbaustein einen Titel."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"Der Titel hat höchstens {MAX_TITLE} Zeichen; bitte kürzen Sie ihn."
    else:
        clash = session.scalars(
            select(ReplyTemplate).where(func.lower(ReplyTemplate.title) == title.lower())
        ).first()
        if clash is not None and clash.id != own_id:
            errors["title"] = f"Einen Textbaustein „{clash.title}“ gibt es schon."
    problem = template_problem(text)
    if problem:
        errors["text"] = problem
    elif len(_clean(text or "").encode("utf-8")) > MAX_REPLY_BYTES:
        errors["text"] = reply_too_long_message(len(_clean(text or "").encode("utf-8")))
    if errors:
        raise TemplateError(errors)
    return title, _clean(text or "")


class TemplateError(ReplyError):
    """Problems of a template form, by field ("title", "text")."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def add_template(
    session: Session, title: str, text: str, *, actor: Actor, now: datetime
) -> ReplyTemplate:
    title, text = _check_template(session, title, text, None)
    template = ReplyTemplate(title=title, text=text, created_at=now, updated_at=now)
    session.add(template)
    session.flush()
    record(
        session,
        at=now,
        actor=actor.name,
        actor_id=actor.id,
        action="google: template added",
        subject=title,
    )
    return template


def update_template(
    session: Session,
    template: ReplyTemplate,
    title: str,
    text: str,
    *,
    actor: Actor,
    now: datetime,
) -> bool:
    title, text = _check_template(session, title, text, template.id)
    changes: dict[str, Any] = {}
    if title != template.title:
        changes["title"] = [template.title, title]
    if text != template.text:
        changes["text"] = [template.text, text]
    if not changes:
        return False
    template.title, template.text, template.updated_at = title, text, now
    record(
        session,
        at=now,
        actor=actor.name,
        actor_id=actor.id,
        action="google: template changed",
        subject=title,
        changes=changes,
    )
    session.flush()
    return True


def delete_template(
    session: Session, template: ReplyTemplate, *, actor: Actor, now: datetime
) -> None:
    record(
        session,
        at=now,
        actor=actor.name,
        actor_id=actor.id,
        action="google: template deleted",
        subject=template.title,
        changes={"text": template.text},
    )
    session.delete(template)
    session.flush()
