"""``krm users …`` and ``krm teams …``: accounts for the admin area."""

from __future__ import annotations

import sys
from typing import NoReturn

import click
from flask.cli import AppGroup

from admin.accounts.models import Team
from admin.accounts.service import (
    AccountError,
    add_user,
    list_teams,
    list_users,
    reset_password,
    set_active,
)
from admin.topics.service import ListError, add_named
from portal.db import utcnow
from portal.extensions import db
from portal.vocab import Role

ACTOR = "krm (CLI)"
users_cli = AppGroup("users", help="Accounts of the admin area.")
teams_cli = AppGroup("teams", help="Teams that handle reactions.")


def _fail(error: Exception) -> NoReturn:
    raise click.ClickException(str(error))


def _read_password() -> str:
    """From a hidden prompt on a terminal; from the first line of stdin otherwise (scripts)."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@users_cli.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice([role.value for role in Role]), required=True)
@click.option("--team", help="The team of a team lead (role 'team').")
def users_add(name: str, role: str, team: str | None) -> None:
    """Add a user; the password comes from a prompt or stdin."""
    try:
        user = add_user(
            db.session, name, _read_password(), Role(role), team=team, actor=ACTOR, now=utcnow()
        )
    except AccountError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"{user.name}\t{user.role.value}\t{user.team.name if user.team else '-'}")


@users_cli.command("list")
def users_list() -> None:
    """List users: name, role, team, active, last sign-in."""
    for user in list_users(db.session):
        last = f"{user.last_login_at:%Y-%m-%d %H:%M} UTC" if user.last_login_at else "never"
        state = "active" if user.active else "deactivated"
        team = user.team.name if user.team else "-"
        click.echo(f"{user.name}\t{user.role.value}\t{team}\t{state}\tlast sign-in {last}")


@users_cli.command("reset")
@click.argument("name")
def users_reset(name: str) -> None:
    """Set a new password (prompt or stdin); the user's open sessions end."""
    try:
        reset_password(db.session, name, _read_password(), actor=ACTOR, now=utcnow())
    except AccountError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"Password of {name} reset.")


@users_cli.command("deactivate")
@click.argument("name")
def users_deactivate(name: str) -> None:
    """Lock a user out at once; the account and its history stay."""
    try:
        set_active(db.session, name, False, actor=ACTOR, now=utcnow())
    except AccountError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"{name} deactivated.")


@users_cli.command("activate")
@click.argument("name")
def users_activate(name: str) -> None:
    """Let a deactivated user sign in again."""
    try:
        set_active(db.session, name, True, actor=ACTOR, now=utcnow())
    except AccountError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"{name} activated.")


@teams_cli.command("add")
@click.argument("name")
def teams_add(name: str) -> None:
    """Add a team (e.g. 'Leistungsbereich Team 3')."""
    try:
        team = add_named(db.session, Team, name, actor=ACTOR, now=utcnow())
    except ListError as error:
        _fail(error)
    db.session.commit()
    click.echo(team.name)


@teams_cli.command("list")
def teams_list() -> None:
    for team in list_teams(db.session):
        click.echo(team.name)


COMMANDS = (users_cli, teams_cli)
