"""``krm mail send`` (cron, every minute) and ``krm mail digest`` (cron, once a day)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from admin.mail.service import queue_digest
from portal.db import utcnow
from portal.extensions import db
from portal.mail.outbox import Sender, send_due

mail_cli = AppGroup("mail", help="E-mail: send the outbox, queue the officer's daily digest.")


def _sender() -> Sender:
    sender = Sender.from_config(current_app.config)
    problem = sender.config.problem()
    if problem:
        raise click.ClickException(problem)
    return sender


def _send(sender: Sender) -> None:
    result = send_due(db.session, sender)
    click.echo(result.summary)
    if result.error:
        raise click.ClickException(result.error + " Die Nachrichten bleiben im Postausgang.")
    if result.errors:
        raise click.ClickException(" | ".join(result.errors))


@mail_cli.command("send")
def mail_send() -> None:
    """Send every message in the outbox that is due; failures wait and are retried later."""
    _send(_sender())


@mail_cli.command("digest")
@click.option("--force", is_flag=True, help="Send another one even if today's has been queued.")
def mail_digest(force: bool) -> None:
    """Queue today's digest to KRM_MAIL_NOTIFY and send it (counts, references, links)."""
    sender = _sender()
    if not sender.config.notify:
        raise click.ClickException("KRM_MAIL_NOTIFY nennt keine gültige Adresse.")
    config = current_app.config
    queued = queue_digest(
        db.session,
        sender.config,
        now=utcnow(),
        admin_url=config["ADMIN_URL"],
        reminder_days=int(config["MAIL_INTERIM_REMINDER_DAYS"]),
        force=force,
    )
    if queued is None:
        click.echo("Die Tagesübersicht von heute ist schon verschickt (--force für eine weitere).")
        return
    db.session.commit()
    digest, ids = queued
    counts = ", ".join(f"{s.title}: {s.count}" for s in digest.sections)
    click.echo(f"Tagesübersicht an {len(ids)} Adresse(n): {counts}.")
    _send(sender)


COMMANDS = (mail_cli,)
