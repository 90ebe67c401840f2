"""Accounts and teams: create, authenticate, reset, deactivate. Plain functions on a session."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from admin.accounts.models import Team, User
from portal.audit import record
from portal.vocab import Role

MIN_PASSWORD_LENGTH = 12
# Checked against when the name is unknown, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password-just-for-timing")


class AccountError(ValueError):
    """An account request that cannot be done; the message says why."""


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")
    return generate_password_hash(password)  # scrypt, with werkzeug's current parameters


def find_user(session: Session, name: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.name) == name.strip().lower()))


def get_team(session: Session, name: str) -> Team:
    team = session.scalar(select(Team).where(Team.name == name.strip()))
    if team is None:
        raise AccountError(f"There is no team {name!r}.")
    return team


def list_teams(session: Session, *, include_inactive: bool = False) -> Sequence[Team]:
    query = select(Team).order_by(Team.name)
    if not include_inactive:
        query = query.where(Team.active.is_(True))
    return session.scalars(query).all()


def add_user(
    session: Session,
    name: str,
    password: str,
    role: Role,
    *,
    team: str | None = None,
    actor: str,
    now: datetime,
) -> User:
    name = name.strip()
    if not name or len(name) > 80:
        raise AccountError("A user needs a name of 1 to 80 characters.")
    if find_user(session, name):
        raise AccountError(f"User {name!r} exists already.")
    if role is Role.TEAM and not team:
        raise AccountError("A team lead needs a team (--team).")
    user = User(
        name=name,
        password_hash=hash_password(password),
        role=role,
        team=get_team(session, team) if team else None,
        password_changed_at=now,
        created_at=now,
    )
    session.add(user)
    record(
        session,
        at=now,
        actor=actor,
        action="user added",
        subject=f"user:{name}",
        changes={"role": role.value, "team": team},
    )
    return user


def authenticate(session: Session, name: str, password: str, *, now: datetime) -> User | None:
    """The active user with this name and password, or None (same time either way)."""
    user = find_user(session, name) if name else None
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not valid or not user.active:
        return None
    user.last_login_at = now
    return user


def reset_password(
    session: Session, name: str, password: str, *, actor: str, now: datetime
) -> User:
    user = _existing(session, name)
    user.password_hash = hash_password(password)
    user.password_changed_at = now  # ends the user's open sessions
    record(session, at=now, actor=actor, action="password reset", subject=f"user:{user.name}")
    return user


def set_active(session: Session, name: str, active: bool, *, actor: str, now: datetime) -> User:
    user = _existing(session, name)
    if user.active != active:
        user.active = active
        user.password_changed_at = now  # a deactivated user's sessions end at once
        action = "user activated" if active else "user deactivated"
        record(session, at=now, actor=actor, action=action, subject=f"user:{user.name}")
    return user


def list_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.name)).all()


def _existing(session: Session, name: str) -> User:
    user = find_user(session, name)
    if user is None:
        raise AccountError(f"There is no user {name!r}.")
    return user
