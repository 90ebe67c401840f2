"""Who may see what: every admin view declares its roles, and one hook enforces them.

The hook runs before every request to the admin blueprints. A view without a declaration is
refused for everybody (fail closed), so a new route cannot forget its check; the test suite walks
the URL map to prove every admin route is declared.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import abort, current_app, g, redirect, request, session, url_for

from admin.accounts.models import User
from portal.db import utcnow
from portal.extensions import db
from portal.vocab import Role

ROLES_ATTRIBUTE = "krm_roles"
ANYONE = "anyone"  # the login page itself


def requires(*roles: Role | str) -> Callable:
    """Declare which roles may use a view (``Role.KRM`` may use every view anyway)."""

    def decorator(view: Callable) -> Callable:
        setattr(view, ROLES_ATTRIBUTE, frozenset(roles) | {Role.KRM})
        return view

    return decorator


def anyone(view: Callable) -> Callable:
    setattr(view, ROLES_ATTRIBUTE, frozenset({ANYONE}))
    return view


def declared_roles(endpoint: str | None) -> frozenset | None:
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, ROLES_ATTRIBUTE, None)


def load_user() -> User | None:
    """The user of this session, if the session is still valid; an invalid one is cleared."""
    user_id = session.get("user_id")
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    now = utcnow()
    config = current_app.config
    signed_in = _time(session.get("signed_in_at"))
    seen = _time(session.get("seen_at"))
    valid = (
        user is not None
        and user.active
        and session.get("password_version") == user.password_changed_at.isoformat()
        and signed_in is not None
        and seen is not None
        and now - signed_in < timedelta(hours=config["ADMIN_SESSION_HOURS"])
        and now - seen < timedelta(minutes=config["ADMIN_IDLE_MINUTES"])
    )
    if not valid:
        session.clear()
        return None
    if now - seen > timedelta(minutes=1):  # keep the cookie stable within a minute
        session["seen_at"] = now.isoformat()
    return user


def start_session(user: User) -> None:
    now = utcnow().isoformat()
    session.clear()
    session.permanent = True
    session.update(
        user_id=user.id,
        password_version=user.password_changed_at.isoformat(),
        signed_in_at=now,
        seen_at=now,
    )


def enforce_access():
    """The one check: declared roles, a valid session, the right role."""
    roles = declared_roles(request.endpoint)
    g.user = load_user()
    if roles is None:
        if request.endpoint is None:
            return None  # a 404: let the error handler answer
        current_app.logger.error("admin view %s declares no roles; refused", request.endpoint)
        abort(403)
    if ANYONE in roles:
        return None
    if g.user is None:
        return redirect(url_for("admin.auth.login", next=request.full_path.rstrip("?")))
    if g.user.role not in roles:
        abort(403)
    return None


def _time(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value).astimezone(UTC) if value else None
    except ValueError:
        return None
