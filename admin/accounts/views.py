"""Signing in and out of the admin area."""

from __future__ import annotations

import math
import time

from flask import (
    Blueprint,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from admin.access import anyone, requires, start_session
from admin.accounts.devices import (
    client_limits,
    is_trusted,
    login_key,
    login_limits,
    refused,
    remember_device,
    throttle_message,
)
from admin.accounts.service import authenticate
from portal.audit import record
from portal.db import utcnow
from portal.extensions import db, limiter
from portal.vocab import Role

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    name = StringField(
        "Name", validators=[DataRequired("Bitte geben Sie Ihren Namen ein."), Length(max=80)]
    )
    password = PasswordField(
        "Passwort", validators=[DataRequired("Bitte geben Sie Ihr Passwort ein.")]
    )


@bp.route("/login", methods=["GET", "POST"])
@anyone
@limiter.limit(client_limits, methods=["POST"], deduct_when=refused, exempt_when=is_trusted)
@limiter.limit(login_limits, key_func=login_key, methods=["POST"], deduct_when=refused)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        now = utcnow()
        user = authenticate(db.session, form.name.data, form.password.data, now=now)
        if user is not None:
            record(db.session, at=now, actor=user.name, actor_id=user.id, action="signed in")
            db.session.commit()
            start_session(user)
            response = redirect(_safe_next() or home_url(user), code=303)
            remember_device(response, user)
            return response
        record(db.session, at=now, actor=form.name.data[:80], action="sign-in failed")
        db.session.commit()
        form.password.errors.append("Name oder Passwort ist falsch.")
    return render_template("admin/accounts/login.html", form=form), 401 if form.errors else 200


@bp.errorhandler(429)
def throttled(_error):
    """The login form again, with the name kept and a calm word on how long to wait."""
    limit = limiter.current_limit
    seconds = max(1, math.ceil(limit.window[0] - time.time())) if limit else 60
    message = throttle_message(limit.key if limit else "", seconds)
    page = render_template("admin/accounts/login.html", form=LoginForm(), throttled=message)
    return page, 429, {"Retry-After": str(seconds)}


@bp.post("/logout")
@requires(Role.TEAM, Role.READ)
def logout():
    record(db.session, at=utcnow(), actor=g.user.name, actor_id=g.user.id, action="signed out")
    db.session.commit()
    session.clear()
    flash("Sie sind abgemeldet.")
    return redirect(url_for("admin.auth.login"), code=303)


def home_url(user) -> str:
    """Where a user starts: the inbox, or the reports for those who only read reports."""
    if user.role is Role.READ:
        return url_for("admin.reports.dashboard_page")
    return url_for("admin.inbox.index")


def _safe_next() -> str | None:
    """Only a path inside the admin area: never an open redirect to another site."""
    target = request.args.get("next", "")
    if target.startswith("/admin") and not target.startswith("//") and "\\" not in target:
        return target
    return None
