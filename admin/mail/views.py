"""E-mail in the admin area (KRM only): settings in force, the outbox, the mail templates.

Without mail settings the page says so and nothing is queued. Sending now (a button) runs the
same ``send_due`` as ``krm mail send``; the officer waits for it, the citizen never does.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from admin.access import requires
from admin.forms import error_summary
from admin.mail.service import outbox_view
from portal.db import utcnow
from portal.deadlines import local_time
from portal.extensions import db
from portal.i18n import LANGUAGES
from portal.mail.outbox import OutboxMessage, Sender, discard, retry_now, send_due
from portal.mail.texts import (
    CITIZEN_KINDS,
    MAX_SUBJECT,
    PLACEHOLDERS,
    TemplateError,
    default_texts,
    find_template,
    reset_template,
    save_template,
    texts_for,
)
from portal.vocab import MailKind, MailStatus, Role

bp = Blueprint("mail", __name__, url_prefix="/mail")


class MailTemplateForm(FlaskForm):
    subject = StringField("Betreff")
    body = TextAreaField("Text")


@bp.context_processor
def _helpers() -> dict:
    return {"local_time": local_time, "MailStatus": MailStatus}


def _sender() -> Sender:
    return Sender.from_config(current_app.config)


@bp.get("/")
@requires(Role.KRM)
def index():
    sender = _sender()
    templates = [
        (kind, code, lang, find_template(db.session, kind, code))
        for kind in CITIZEN_KINDS
        for code, lang in LANGUAGES.items()
    ]
    return render_template(
        "admin/mail/index.html",
        mail_config=sender.config,
        problem=sender.config.problem(),
        outbox=outbox_view(db.session),
        templates=templates,
    )


@bp.post("/send")
@requires(Role.KRM)
def send():
    sender = _sender()
    problem = sender.config.problem()
    if problem:
        flash(problem)
        return redirect(url_for(".index"), code=303)
    result = send_due(db.session, sender)
    flash(result.summary + (f" {result.error}" if result.error else ""))
    return redirect(url_for(".index"), code=303)


def _message_or_404(message_id: int) -> OutboxMessage:
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        abort(404)
    return message


@bp.post("/messages/<int:id>/retry")
@requires(Role.KRM)
def retry(id: int):
    message = _message_or_404(id)
    if message.status not in (MailStatus.PENDING, MailStatus.FAILED) or not message.recipient:
        abort(409)
    retry_now(db.session, message, now=utcnow(), actor=g.user.name, actor_id=g.user.id)
    db.session.commit()
    flash(f"Nachricht {message.id} wird beim nächsten Versand erneut versucht.")
    return redirect(url_for(".index"), code=303)


@bp.post("/messages/<int:id>/discard")
@requires(Role.KRM)
def discard_message(id: int):
    message = _message_or_404(id)
    if message.status not in (MailStatus.PENDING, MailStatus.FAILED):
        abort(409)
    discard(db.session, message, now=utcnow(), actor=g.user.name, actor_id=g.user.id)
    db.session.commit()
    flash(f"Nachricht {message.id} verworfen; sie wird nicht gesendet.")
    return redirect(url_for(".index"), code=303)


def _kind_or_404(kind: str, lang: str) -> MailKind:
    found = MailKind.lookup(kind)
    if found not in CITIZEN_KINDS or lang not in LANGUAGES:
        abort(404)
    return found


@bp.route("/templates/<kind>/<lang>", methods=["GET", "POST"])
@requires(Role.KRM)
def template(kind: str, lang: str):
    mail_kind = _kind_or_404(kind, lang)
    texts = texts_for(db.session, mail_kind, lang)
    form = MailTemplateForm(data={"subject": texts.subject, "body": texts.body})
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                changed = save_template(
                    db.session,
                    mail_kind,
                    lang,
                    form.subject.data,
                    form.body.data,
                    actor=g.user.name,
                    actor_id=g.user.id,
                    now=utcnow(),
                )
            except TemplateError as error:
                for name, message in error.errors.items():
                    getattr(form, name).errors = [message]
            else:
                db.session.commit()
                flash("Vorlage gespeichert." if changed else "Es gab nichts zu ändern.")
                return redirect(url_for(".index", _anchor="vorlagen"), code=303)
        db.session.rollback()
        status = 422
    return render_template(
        "admin/mail/template.html",
        kind=mail_kind,
        lang=LANGUAGES[lang],
        edited=texts.edited,
        default=default_texts(mail_kind, lang),
        form=form,
        summary=error_summary(form),
        placeholders=PLACEHOLDERS[mail_kind],
        max_subject=MAX_SUBJECT,
    ), status


@bp.post("/templates/<kind>/<lang>/reset")
@requires(Role.KRM)
def template_reset(kind: str, lang: str):
    mail_kind = _kind_or_404(kind, lang)
    reset_template(db.session, mail_kind, lang, actor=g.user.name, actor_id=g.user.id, now=utcnow())
    db.session.commit()
    flash(f"{mail_kind.label} ({LANGUAGES[lang].name}): wieder der Standardtext.")
    return redirect(url_for(".index", _anchor="vorlagen"), code=303)
