"""Themen und Teams: the lists the officer classifies and assigns with.

Nothing is deleted here: a topic or team that is no longer needed is deactivated, so it is not
offered for new classifications or assignments, while old ones keep it.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from admin.access import requires
from admin.accounts import AccountError, add_team, list_teams
from admin.forms import error_summary, single_line
from admin.topics import (
    MAX_NAME,
    DuplicateName,
    NotFound,
    TopicError,
    add_topic,
    find_team,
    list_topics,
    set_team_active,
    set_topic_active,
)
from portal.db import utcnow
from portal.extensions import db

bp = Blueprint("settings", __name__, url_prefix="/settings")


class TopicForm(FlaskForm):
    topic_name = StringField(
        "Neues Thema",
        filters=[single_line],
        validators=[
            DataRequired("Bitte geben Sie den Namen des Themas ein."),
            Length(max=MAX_NAME, message=f"Höchstens {MAX_NAME} Zeichen, bitte kürzen Sie."),
        ],
    )


class TeamForm(FlaskForm):
    team_name = StringField(
        "Neues Team",
        filters=[single_line],
        validators=[
            DataRequired("Bitte geben Sie den Namen des Teams ein."),
            Length(max=MAX_NAME, message=f"Höchstens {MAX_NAME} Zeichen, bitte kürzen Sie."),
        ],
    )


@bp.get("/")
@requires()
def index():
    return _page()


@bp.post("/topics")
@requires()
def topic_add():
    form = TopicForm()
    if form.validate_on_submit():
        try:
            topic = add_topic(
                db.session,
                form.topic_name.data,
                actor=g.user.name,
                actor_id=g.user.id,
                now=utcnow(),
            )
        except DuplicateName as error:
            state = "" if error.existing.active else " (inaktiv – Sie können es unten aktivieren)"
            form.topic_name.errors.append(
                f"Das Thema „{error.existing.name}“ gibt es schon{state}."
            )
        except TopicError:
            form.topic_name.errors.append("Dieser Name geht nicht: 1 bis 120 Zeichen.")
        else:
            db.session.commit()
            flash(f"Thema „{topic.name}“ angelegt.")
            return redirect(url_for(".index", _anchor="themen"), code=303)
    db.session.rollback()
    return _page(topic_form=form), 422


@bp.post("/topics/<int:topic_id>/<any(activate, deactivate):action>")
@requires()
def topic_active(topic_id: int, action: str):
    # A button only: CSRFProtect has checked the token before the view runs.
    active = action == "activate"
    try:
        topic = set_topic_active(
            db.session, topic_id, active, actor=g.user.name, actor_id=g.user.id, now=utcnow()
        )
    except NotFound:
        abort(404)
    db.session.commit()
    if active:
        flash(f"Thema „{topic.name}“ ist wieder aktiv und wird bei der Zuordnung angeboten.")
    else:
        flash(
            f"Thema „{topic.name}“ ist deaktiviert: Es wird nicht mehr angeboten, bleibt aber "
            "bei bisherigen Zuordnungen erhalten."
        )
    return redirect(url_for(".index", _anchor="themen"), code=303)


@bp.post("/teams")
@requires()
def team_add():
    form = TeamForm()
    if form.validate_on_submit():
        name = form.team_name.data
        existing = find_team(db.session, name)
        if existing is not None:
            state = "" if existing.active else " (inaktiv – Sie können es unten aktivieren)"
            form.team_name.errors.append(f"Das Team „{existing.name}“ gibt es schon{state}.")
        else:
            try:
                # accounts.add_team writes the audit event (with the actor's name).
                team = add_team(db.session, name, actor=g.user.name, now=utcnow())
            except AccountError:
                form.team_name.errors.append("Dieses Team lässt sich so nicht anlegen.")
            else:
                db.session.commit()
                flash(f"Team „{team.name}“ angelegt.")
                return redirect(url_for(".index", _anchor="teams"), code=303)
    db.session.rollback()
    return _page(team_form=form), 422


@bp.post("/teams/<int:team_id>/<any(activate, deactivate):action>")
@requires()
def team_active(team_id: int, action: str):
    active = action == "activate"
    try:
        team = set_team_active(
            db.session, team_id, active, actor=g.user.name, actor_id=g.user.id, now=utcnow()
        )
    except NotFound:
        abort(404)
    db.session.commit()
    if active:
        flash(f"Team „{team.name}“ ist wieder aktiv.")
    else:
        flash(
            f"Team „{team.name}“ ist deaktiviert: Es wird nicht mehr zur Zuordnung angeboten; "
            "was ihm zugeordnet ist, bleibt es."
        )
    return redirect(url_for(".index", _anchor="teams"), code=303)


def _page(topic_form: TopicForm | None = None, team_form: TeamForm | None = None) -> str:
    topic_form = topic_form or TopicForm(formdata=None)
    team_form = team_form or TeamForm(formdata=None)
    return render_template(
        "admin/settings.html",
        topics=list_topics(db.session),
        teams=list_teams(db.session, include_inactive=True),
        topic_form=topic_form,
        team_form=team_form,
        summary=error_summary(topic_form, team_form),
    )
