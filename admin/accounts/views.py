"""Signing in and out of the admin area."""

from __future__ import annotations

import hashlib
import hmac

from flask import (
    Blueprint,
    current_app,
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


def account_key() -> str:
    """Throttle per account too, keyed without storing the name in clear text."""
    name = (request.form.get("name") or "").strip().lower()
    secret = current_app.config["SECRET_KEY"].encode()
    return "account:" + hmac.new(secret, name.encode(), hashlib.sha256).hexdigest()[:32]


def failed(response) -> bool:
    """Only failed attempts count against the login limits."""
    return response.status_code != 303


@bp.route("/login", methods=["GET", "POST"])
@anyone
@limiter.limit(lambda: current_app.config["LOGIN_LIMITS"], methods=["POST"], deduct_when=failed)
@limiter.limit(
    lambda: current_app.config["LOGIN_ACCOUNT_LIMITS"],
    key_func=account_key,
    methods=["POST"],
    deduct_when=failed,
)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        now = utcnow()
        user = authenticate(db.session, form.name.data, form.password.data, now=now)
        if user is not None:
            record(db.session, at=now, actor=user.name, actor_id=user.id, action="signed in")
            db.session.commit()
            start_session(user)
            return redirect(_safe_next() or home_url(user), code=303)
        record(db.session, at=now, actor=form.name.data[:80], action="sign-in failed")
        db.session.commit()
        form.password.errors.append("Name oder Passwort ist falsch.")
    return render_template("admin/accounts/login.html", form=form), 401 if form.errors else 200


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
