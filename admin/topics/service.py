"""Themen and teams: the named lists the officer classifies and assigns with.

Plain functions on a session; every change writes an audit event in the same transaction. A topic
or team is never deleted: old classifications and assignments keep pointing at it. Inactive ones
are only no longer offered for new classifications or assignments.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin.accounts.models import Team
from admin.inbox.models import Topic
from portal.audit import record

MAX_NAME = 120  # the length of Topic.name and Team.name
Named = Topic | Team
# How audit events name each list's items.
NOUNS: dict[type[Named], str] = {Topic: "topic", Team: "team"}


class ListError(ValueError):
    """A request about topics or teams that cannot be done; the message says why."""


class DuplicateName(ListError):
    """The name is taken (compared without regard to case and spacing)."""

    def __init__(self, message: str, existing: Named) -> None:
        super().__init__(message)
        self.existing = existing


class NotFound(ListError):
    """There is no topic or team with this id."""


def list_topics(session: Session, *, active_only: bool = False) -> Sequence[Topic]:
    query = select(Topic).order_by(Topic.name)
    if active_only:
        query = query.where(Topic.active.is_(True))
    return session.scalars(query).all()


def find_named(session: Session, model: type[Named], name: str) -> Named | None:
    """The item of this name, ignoring case and runs of spaces ("beratung" is "Beratung")."""
    wanted = _key(name)
    items = session.scalars(select(model))
    return next((item for item in items if _key(item.name) == wanted), None)


def add_named(
    session: Session,
    model: type[Named],
    name: str,
    *,
    actor: str,
    now: datetime,
    actor_id: int | None = None,
) -> Named:
    name = _clean(name)
    noun = NOUNS[model]
    existing = find_named(session, model, name)
    if existing is not None:
        raise DuplicateName(f"The {noun} {existing.name!r} exists already.", existing)
    item = model(name=name, active=True)
    session.add(item)
    session.flush()
    record(
        session,
        at=now,
        actor=actor,
        actor_id=actor_id,
        action=f"{noun} added",
        subject=f"{noun}:{item.name}",
    )
    return item


def set_active(
    session: Session,
    model: type[Named],
    item_id: int,
    active: bool,
    *,
    actor: str,
    now: datetime,
    actor_id: int | None = None,
) -> Named:
    """Offer an item for new classifications or assignments again, or stop offering it.

    A no-op if it is so already. What is assigned to a team stays assigned, and its team leads
    keep their access.
    """
    noun = NOUNS[model]
    item = session.get(model, item_id)
    if item is None:
        raise NotFound(f"There is no {noun} {item_id}.")
    if item.active != active:
        item.active = active
        record(
            session,
            at=now,
            actor=actor,
            actor_id=actor_id,
            action=f"{noun} activated" if active else f"{noun} deactivated",
            subject=f"{noun}:{item.name}",
            changes={"active": [not active, active]},
        )
    return item


def _clean(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise ListError(f"A name needs 1 to {MAX_NAME} characters.")
    return name


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()
