"""Themen und Teams: the lists the officer classifies and assigns with.

Nothing is deleted here: a topic or team that is no longer needed is deactivated, so it is not
offered for new classifications or assignments, while old ones keep it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from admin.access import requires
from admin.accounts.models import Team
from admin.accounts.service import list_teams
from admin.forms import error_summary, single_line
from admin.inbox.models import Topic
from admin.topics.service import (
    MAX_NAME,
    DuplicateName,
    ListError,
    Named,
    NotFound,
    add_named,
    list_topics,
    set_active,
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


@dataclass(frozen=True)
class NamedList:
    """One list on the page: what it holds and how the page speaks of it."""

    model: type[Named]
    form: type[FlaskForm]
    field: str  # the form's name field (its own name, so both forms' ids differ on one page)
    anchor: str
    noun: str  # "Thema", "Team": neuter in German, so one article fits both
    deactivated: str  # what deactivation means for this list


LISTS = {
    "topics": NamedList(
        Topic,
        TopicForm,
        "topic_name",
        "themen",
        "Thema",
        "Es wird bei der Zuordnung nicht mehr angeboten, "
        "bleibt aber bei bisherigen Zuordnungen erhalten.",
    ),
    "teams": NamedList(
        Team,
        TeamForm,
        "team_name",
        "teams",
        "Team",
        "Es wird nicht mehr zur Zuordnung angeboten; was ihm zugeordnet ist, bleibt es.",
    ),
}


@bp.post("/<any(topics, teams):kind>")
@requires()
def add(kind: str):
    named = LISTS[kind]
    form = named.form()
    field = form[named.field]
    if form.validate_on_submit():
        try:
            item = add_named(
                db.session,
                named.model,
                field.data,
                actor=g.user.name,
                actor_id=g.user.id,
                now=utcnow(),
            )
        except DuplicateName as error:
            state = "" if error.existing.active else " (inaktiv – Sie können es unten aktivieren)"
            field.errors.append(f"Das {named.noun} „{error.existing.name}“ gibt es schon{state}.")
        except ListError:
            field.errors.append(f"Dieser Name geht nicht: 1 bis {MAX_NAME} Zeichen.")
        else:
            db.session.commit()
            flash(f"{named.noun} „{item.name}“ angelegt.")
            return redirect(url_for(".index", _anchor=named.anchor), code=303)
    db.session.rollback()
    return _page(**{kind: form}), 422


@bp.post("/<any(topics, teams):kind>/<int:item_id>/<any(activate, deactivate):action>")
@requires()
def switch(kind: str, item_id: int, action: str):
    # A button only: CSRFProtect has checked the token before the view runs.
    named = LISTS[kind]
    active = action == "activate"
    try:
        item = set_active(
            db.session,
            named.model,
            item_id,
            active,
            actor=g.user.name,
            actor_id=g.user.id,
            now=utcnow(),
        )
    except NotFound:
        abort(404)
    db.session.commit()
    if active:
        flash(f"{named.noun} „{item.name}“ ist wieder aktiv und wird zur Zuordnung angeboten.")
    else:
        flash(f"{named.noun} „{item.name}“ ist deaktiviert: {named.deactivated}")
    return redirect(url_for(".index", _anchor=named.anchor), code=303)


def _page(topics: FlaskForm | None = None, teams: FlaskForm | None = None) -> str:
    topic_form = topics or TopicForm(formdata=None)
    team_form = teams or TeamForm(formdata=None)
    return render_template(
        "admin/topics/index.html",
        topics=list_topics(db.session),
        teams=list_teams(db.session, include_inactive=True),
        topic_form=topic_form,
        team_form=team_form,
        summary=error_summary(topic_form, team_form),
    )
