"""Themen (topics) for classifying Anliegen, and switching teams on and off.

Plain functions on a session; every change writes an audit event in the same transaction. A topic
or team is never deleted: old classifications and assignments keep pointing at it. Inactive ones
are only no longer offered for new classifications or assignments.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin.models import Team, Topic
from portal.audit import record

MAX_NAME = 120  # the length of Topic.name and Team.name


class TopicError(ValueError):
    """A request about topics or teams that cannot be done; the message says why."""


class DuplicateName(TopicError):
    """The name is taken (compared without regard to case and spacing)."""

    def __init__(self, message: str, existing: Topic | Team) -> None:
        super().__init__(message)
        self.existing = existing


class NotFound(TopicError):
    """There is no topic or team with this id."""


def list_topics(session: Session, *, active_only: bool = False) -> Sequence[Topic]:
    query = select(Topic).order_by(Topic.name)
    if active_only:
        query = query.where(Topic.active.is_(True))
    return session.scalars(query).all()


def get_topic(session: Session, topic_id: int) -> Topic:
    topic = session.get(Topic, topic_id)
    if topic is None:
        raise NotFound(f"There is no topic {topic_id}.")
    return topic


def find_topic(session: Session, name: str) -> Topic | None:
    """The topic of this name, ignoring case and runs of spaces ("beratung" is "Beratung")."""
    wanted = _key(name)
    return next((topic for topic in list_topics(session) if _key(topic.name) == wanted), None)


def add_topic(
    session: Session, name: str, *, actor: str, now: datetime, actor_id: int | None = None
) -> Topic:
    name = _clean(name)
    existing = find_topic(session, name)
    if existing is not None:
        raise DuplicateName(f"Topic {existing.name!r} exists already.", existing)
    topic = Topic(name=name, active=True)
    session.add(topic)
    session.flush()
    record(
        session,
        at=now,
        actor=actor,
        actor_id=actor_id,
        action="topic added",
        subject=f"topic:{topic.name}",
    )
    return topic


def set_topic_active(
    session: Session,
    topic_id: int,
    active: bool,
    *,
    actor: str,
    now: datetime,
    actor_id: int | None = None,
) -> Topic:
    """Offer a topic for new classifications again, or stop offering it; a no-op if it is so."""
    topic = get_topic(session, topic_id)
    if topic.active != active:
        topic.active = active
        record(
            session,
            at=now,
            actor=actor,
            actor_id=actor_id,
            action="topic activated" if active else "topic deactivated",
            subject=f"topic:{topic.name}",
            changes={"active": [not active, active]},
        )
    return topic


def find_team(session: Session, name: str) -> Team | None:
    """The team of this name, ignoring case and runs of spaces, active or not."""
    wanted = _key(name)
    teams = session.scalars(select(Team)).all()
    return next((team for team in teams if _key(team.name) == wanted), None)


def set_team_active(
    session: Session,
    team_id: int,
    active: bool,
    *,
    actor: str,
    now: datetime,
    actor_id: int | None = None,
) -> Team:
    """Stop offering a team for new assignments, or offer it again; a no-op if it is so.

    What is assigned to the team stays assigned, and its team leads keep their access.
    """
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound(f"There is no team {team_id}.")
    if team.active != active:
        team.active = active
        record(
            session,
            at=now,
            actor=actor,
            actor_id=actor_id,
            action="team activated" if active else "team deactivated",
            subject=f"team:{team.name}",
            changes={"active": [not active, active]},
        )
    return team


def _clean(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise TopicError(f"A name needs 1 to {MAX_NAME} characters.")
    return name


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()
