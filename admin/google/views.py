"""Google reviews in the admin area: the list, sync, replies and reply templates (KRM only).

A failure at Google is shown on the page it happened on, in German, with status 502; the draft
was committed before Google was called, so it is still there.
"""

from __future__ import annotations

from dataclasses import replace

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import ValidationError

from admin.access import requires
from admin.forms import error_summary
from admin.google.client import (
    INTERACTIVE_MAX_WAIT,
    MAX_REPLY_BYTES,
    GoogleClient,
    GoogleConfig,
    GoogleError,
)
from admin.google.models import GoogleReview, ReplyTemplate
from admin.google.replies import (
    MAX_TITLE,
    PLACEHOLDERS,
    Actor,
    ReplyError,
    TemplateError,
    add_template,
    count_unanswered,
    delete_reply,
    delete_template,
    discard_draft,
    list_reviews,
    list_templates,
    publish_reply,
    render_reply,
    reply_problem,
    save_draft,
    update_template,
)
from admin.google.sync import CONCURRENT_SYNC, SyncContext, sync_reviews
from portal.db import utcnow
from portal.deadlines import local_time
from portal.extensions import db
from portal.vocab import Role

bp = Blueprint("google", __name__, url_prefix="/google")

BAD_GATEWAY = 502


class ReplyForm(FlaskForm):
    reply = TextAreaField("Antwort")
    template = SelectField("Textbaustein", choices=[], validate_choice=False, default="")

    def validate_reply(self, field: TextAreaField) -> None:
        problem = reply_problem(field.data)
        if problem:
            raise ValidationError(problem)


class TemplateForm(FlaskForm):
    title = StringField("Titel")
    text = TextAreaField("Text")


@bp.context_processor
def _helpers() -> dict:
    return {
        "local_time": local_time,
        "max_reply_bytes": MAX_REPLY_BYTES,
        "placeholders": PLACEHOLDERS,
    }


def _actor() -> Actor:
    return Actor(g.user.name, g.user.id)


def _config() -> GoogleConfig:
    """The settings, with retries kept short enough for someone waiting on the page."""
    config = GoogleConfig.from_config(current_app.config)
    return replace(config, max_wait=min(config.max_wait, INTERACTIVE_MAX_WAIT))


def _client() -> GoogleClient:
    return GoogleClient.from_config(_config())


# --- the list and sync -------------------------------------------------------------------------


@bp.get("/")
@requires(Role.KRM)
def index():
    return _index()


def _index(errors: list[str] | None = None, status: int = 200):
    config = _config()
    return render_template(
        "admin/google/index.html",
        reviews=list_reviews(db.session),
        unanswered=count_unanswered(db.session),
        config_problem=config.problem(),
        locations=config.locations,
        errors=errors or [],
    ), status


@bp.post("/sync")
@requires(Role.KRM)
def sync():
    config = _config()
    problem = config.problem()
    if problem:
        return _index([problem], 409)
    try:
        client = GoogleClient.from_config(config)
    except GoogleError as error:
        return _index([str(error)], BAD_GATEWAY)
    context = SyncContext.from_config(
        current_app.config, now=utcnow(), actor=g.user.name, actor_id=g.user.id
    )
    try:
        result = sync_reviews(db.session, client, config.locations, context)
        db.session.commit()  # what did arrive is kept, even when a location failed
    except IntegrityError:
        db.session.rollback()
        return _index([CONCURRENT_SYNC], 409)
    if result.errors:
        flash(result.summary)
        return _index(result.errors, BAD_GATEWAY)
    flash("Abgleich mit Google abgeschlossen. " + result.summary)
    return redirect(url_for(".index"), code=303)


# --- one review and its reply ------------------------------------------------------------------


def _review_or_404(review_id: int) -> GoogleReview:
    review = db.session.get(GoogleReview, review_id)
    if review is None:
        abort(404)
    return review


def _reply_form(review: GoogleReview, formdata=None, text: str | None = None) -> ReplyForm:
    form = ReplyForm(formdata=formdata)
    if formdata is None:
        form.reply.data = text if text is not None else (review.draft_text or review.reply_text)
    form.template.choices = [
        SelectChoice("", "– Textbaustein wählen –"),
        *(SelectChoice(str(t.id), t.title) for t in list_templates(db.session)),
    ]
    return form


def _render_review(
    review: GoogleReview,
    form: ReplyForm | None = None,
    *,
    status: int = 200,
    error: str = "",
    notice: str = "",
):
    form = form or _reply_form(review)
    summary = [("reply", error)] if error else []
    return render_template(
        "admin/google/review.html",
        review=review,
        form=form,
        summary=summary + error_summary(form),
        google_error=error,
        notice=notice,
        reply_bytes=len((form.reply.data or "").encode("utf-8")),
    ), status


@bp.get("/reviews/<int:id>")
@requires(Role.KRM)
def review(id: int):
    return _render_review(_review_or_404(id))


@bp.post("/reviews/<int:id>/reply")
@requires(Role.KRM)
def reply(id: int):
    """One form, three buttons: insert a template, save the draft, publish."""
    review = _review_or_404(id)
    form = _reply_form(review, request.form)
    action = request.form.get("action", "save")
    if action == "template":
        return _insert_template(review, form)
    if not form.validate():
        return _render_review(review, form, status=422)
    actor, now = _actor(), utcnow()
    try:
        save_draft(db.session, review, form.reply.data, actor=actor, now=now)
    except ReplyError as error:
        form.reply.errors = [*form.reply.errors, str(error)]
        return _render_review(review, form, status=422)
    db.session.commit()  # the draft is safe before Google is asked
    if action != "publish":
        flash("Entwurf gespeichert. Er ist noch nicht bei Google veröffentlicht.")
        return redirect(url_for(".review", id=review.id), code=303)
    try:
        publish_reply(db.session, review, _client(), actor=actor, now=utcnow())
    except GoogleError as error:
        db.session.commit()
        return _render_review(review, status=BAD_GATEWAY, error=_not_published(error))
    except ReplyError as error:
        db.session.rollback()
        return _render_review(review, status=422, error=str(error))
    db.session.commit()
    flash("Die Antwort ist bei Google veröffentlicht.")
    return redirect(url_for(".review", id=review.id), code=303)


def _insert_template(review: GoogleReview, form: ReplyForm):
    template = (
        db.session.get(ReplyTemplate, int(form.template.data))
        if (form.template.data or "").isdigit()
        else None
    )
    if template is None:
        form.template.errors = ["Bitte wählen Sie einen Textbaustein."]
        return _render_review(review, form, status=422)
    try:
        filled = render_reply(template.text, review, jobcenter=current_app.config["JOBCENTER_NAME"])
    except ReplyError as error:
        form.template.errors = [str(error)]
        return _render_review(review, form, status=422)
    typed = (form.reply.data or "").strip()
    # What was typed stays: the template is added below it.
    form.reply.data = f"{typed}\n\n{filled}" if typed else filled
    return _render_review(
        review,
        form,
        notice=f"Textbaustein „{template.title}“ eingesetzt – noch nicht gespeichert.",
    )


def _not_published(error: GoogleError) -> str:
    return f"Nicht bei Google angekommen – Ihr Entwurf ist gespeichert. {error}"


@bp.post("/reviews/<int:id>/reply/delete")
@requires(Role.KRM)
def reply_delete(id: int):
    # A button only: CSRFProtect has checked the token before the view runs.
    review = _review_or_404(id)
    try:
        delete_reply(db.session, review, _client(), actor=_actor(), now=utcnow())
    except GoogleError as error:
        db.session.commit()
        return _render_review(
            review, status=BAD_GATEWAY, error=f"Die Antwort wurde nicht gelöscht. {error}"
        )
    except ReplyError as error:
        return _render_review(review, status=422, error=str(error))
    db.session.commit()
    flash("Die Antwort ist bei Google gelöscht.")
    return redirect(url_for(".review", id=review.id), code=303)


@bp.post("/reviews/<int:id>/draft/discard")
@requires(Role.KRM)
def draft_discard(id: int):
    review = _review_or_404(id)
    discard_draft(db.session, review, actor=_actor(), now=utcnow())
    db.session.commit()
    flash("Entwurf verworfen.")
    return redirect(url_for(".review", id=review.id), code=303)


# --- templates (Textbausteine) -------------------------------------------------------------


@bp.get("/templates")
@requires(Role.KRM)
def templates():
    return _templates_page()


def _templates_page(form: TemplateForm | None = None, status: int = 200):
    form = form or TemplateForm(formdata=None)
    return render_template(
        "admin/google/templates.html",
        templates=list_templates(db.session),
        form=form,
        summary=error_summary(form),
        max_title=MAX_TITLE,
    ), status


def _apply_errors(form: TemplateForm, error: TemplateError) -> None:
    for name, message in error.errors.items():
        getattr(form, name).errors = [message]


@bp.post("/templates")
@requires(Role.KRM)
def template_add():
    form = TemplateForm()
    if form.validate_on_submit():
        try:
            template = add_template(
                db.session, form.title.data, form.text.data, actor=_actor(), now=utcnow()
            )
        except TemplateError as error:
            _apply_errors(form, error)
        else:
            db.session.commit()
            flash(f"Textbaustein „{template.title}“ angelegt.")
            return redirect(url_for(".templates"), code=303)
    db.session.rollback()
    return _templates_page(form, 422)


def _template_or_404(template_id: int) -> ReplyTemplate:
    template = db.session.get(ReplyTemplate, template_id)
    if template is None:
        abort(404)
    return template


@bp.route("/templates/<int:id>", methods=["GET", "POST"])
@requires(Role.KRM)
def template_edit(id: int):
    template = _template_or_404(id)
    form = TemplateForm(data={"title": template.title, "text": template.text})
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                changed = update_template(
                    db.session,
                    template,
                    form.title.data,
                    form.text.data,
                    actor=_actor(),
                    now=utcnow(),
                )
            except TemplateError as error:
                _apply_errors(form, error)
            else:
                db.session.commit()
                flash("Textbaustein gespeichert." if changed else "Es gab nichts zu ändern.")
                return redirect(url_for(".templates"), code=303)
        db.session.rollback()
        status = 422
    return render_template(
        "admin/google/template.html",
        template=template,
        form=form,
        summary=error_summary(form),
        max_title=MAX_TITLE,
    ), status


@bp.post("/templates/<int:id>/delete")
@requires(Role.KRM)
def template_delete(id: int):
    template = _template_or_404(id)
    title = template.title
    delete_template(db.session, template, actor=_actor(), now=utcnow())
    db.session.commit()
    flash(f"Textbaustein „{title}“ gelöscht.")
    return redirect(url_for(".templates"), code=303)
