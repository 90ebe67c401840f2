"""The inbox and the entry page: filter, read, classify, close, note, bulk actions.

Views parse with forms, call a service (``admin.inbox.query`` reads, ``admin.inbox.triage``
changes), commit once and redirect with 303. A refused form is shown again with everything
typed (422).
"""

from __future__ import annotations

from functools import partial
from urllib.parse import parse_qsl, urlencode

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
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from admin.access import requires
from admin.accounts.service import list_teams
from admin.audit.history import history_lines
from admin.forms import DATE_FORMATS
from admin.google.replies import review_for_feedback
from admin.inbox.models import Topic
from admin.inbox.query import (
    OPEN,
    Cursor,
    InboxFilter,
    Sort,
    counts,
    inbox_page,
    visible_entry,
)
from admin.inbox.triage import (
    BULK_LABELS,
    MAX_CONCERNS,
    MAX_NOTE,
    UNCHANGED,
    BulkAction,
    ConcernInput,
    EntryChanges,
    TriageError,
    add_note,
    bulk,
    concern_problem,
    status_problem,
    update_entry,
)
from admin.mail.service import (
    MAX_REASON,
    MailActionError,
    count_failed_mail,
    interim_due,
    interim_problem,
    messages_of,
    queue_interim,
)
from cards.codes import normalize as normalize_code
from cards.services import list_locations
from portal.audit import history
from portal.db import utcnow
from portal.deadlines import local_date, local_day, local_time
from portal.extensions import db
from portal.i18n import LANGUAGES
from portal.mail.outbox import send_after_response
from portal.mail.smtp import MailConfig
from portal.text import clean_text
from portal.vocab import (
    AREA_REGISTER_LABELS,
    RATINGS,
    Area,
    Assessment,
    Channel,
    ConcernKind,
    Kind,
    Role,
    Status,
)

bp = Blueprint("inbox", __name__)

ALL = SelectChoice("", "alle")
EMPTY = SelectChoice("", "–")
NO_TEAM = "ohne"
# The inbox's query parameters that make up a filter (paging cursors are not part of it).
FILTER_KEYS = (
    "q",
    "status",
    "kind",
    "channel",
    "location",
    "card",
    "rating",
    "from",
    "to",
    "overdue",
    "team",
    "sort",
)
RATING_WORDS = dict(RATINGS)
MAX_BULK = 500
MASKED_NOTE = "Persönliche Daten wurden vor dem Speichern unkenntlich gemacht."


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, str(label)) for value, label in pairs]


def _labels(vocabulary) -> list[SelectChoice]:
    return _choices((member.value, member.label) for member in vocabulary)


@bp.context_processor
def _helpers() -> dict:
    return {
        "local_time": local_time,
        "local_day": local_day,
        "rating_words": RATING_WORDS,
        "area_words": AREA_REGISTER_LABELS,
        "languages": LANGUAGES,
        "masked_note": MASKED_NOTE,
    }


# --- inbox -------------------------------------------------------------------------------------


class FilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: bookmarkable, changes nothing

    q = StringField("Suche im Text", validators=[Optional(), Length(max=200)])
    status = SelectField(
        "Status",
        choices=[ALL, SelectChoice(OPEN, "offen (neu, in Bearbeitung)"), *_labels(Status)],
        default="",
    )
    kind = SelectField("Art (laut Kund*in)", choices=[ALL, *_labels(Kind)], default="")
    channel = SelectField("Zugangsweg", choices=[ALL, *_labels(Channel)], default="")
    location = SelectField("Dienststelle", choices=[ALL], default="")
    card = StringField("Karte (Code)", validators=[Optional(), Length(max=20)])
    rating = SelectField(
        "Bewertung",
        choices=[ALL, *_choices((value, f"{value} – {label}") for value, label in RATINGS)],
        default="",
    )
    received_from = DateField("Eingang von", name="from", validators=[Optional()])
    received_to = DateField("Eingang bis", name="to", validators=[Optional()])
    overdue = BooleanField("nur überfällige")
    team = SelectField("Team", choices=[ALL], default="")
    sort = SelectField(
        "Sortierung",
        choices=_choices(
            [
                (Sort.RECEIVED.value, "Eingang, neueste zuerst"),
                (Sort.DEADLINE.value, "Frist, früheste zuerst"),
            ]
        ),
        default=Sort.RECEIVED.value,
    )

    def validate_card(self, field: StringField) -> None:
        if field.data and normalize_code(field.data) is None:
            raise ValidationError("Ein Kartencode hat 5 Zeichen, z. B. 7K3QX.")

    def validate_received_to(self, field: DateField) -> None:
        start = self.received_from.data
        if field.data and start and field.data < start:
            raise ValidationError("Das Ende des Zeitraums liegt vor seinem Anfang.")


class BulkForm(FlaskForm):
    ids = SelectMultipleField(
        "Einträge",
        id="bulk-ids",
        coerce=int,
        validate_choice=False,
        validators=[DataRequired("Bitte wählen Sie mindestens einen Eintrag aus.")],
    )
    action = SelectField(
        "Aktion für die ausgewählten Einträge",
        choices=[SelectChoice("", "– bitte wählen –"), *_choices(BULK_LABELS.items())],
        validators=[DataRequired("Bitte wählen Sie eine Aktion.")],
        id="bulk-action",
    )
    team = SelectField("Team (für „Team zuweisen“)", choices=[EMPTY], default="", id="bulk-team")
    back = HiddenField()

    def validate_ids(self, field: SelectMultipleField) -> None:
        if len(field.data or ()) > MAX_BULK:
            raise ValidationError(f"Bitte höchstens {MAX_BULK} Einträge auf einmal.")

    def validate_team(self, field: SelectField) -> None:
        if self.action.data == BulkAction.TEAM and not field.data:
            raise ValidationError("Bitte wählen Sie das Team, dem die Einträge zugewiesen werden.")


def _team_choices(first: SelectChoice) -> list[SelectChoice]:
    return [first, *_choices((str(team.id), team.name) for team in list_teams(db.session))]


def _filter_form(args: MultiDict) -> FilterForm:
    form = FilterForm(args)
    locations = list_locations(db.session)
    form.location.choices = [
        ALL,
        *_choices((str(loc.id), f"{loc.code} – {loc.name}") for loc in locations),
    ]
    if g.user.role == Role.KRM:
        form.team.choices = [*_team_choices(ALL), SelectChoice(NO_TEAM, "ohne Team")]
    else:
        del form.team
    form.validate()
    return form


def _valid(field) -> object:
    return None if field is None or field.errors else field.data or None


def _inbox_filter(form: FilterForm) -> InboxFilter:
    team = _valid(getattr(form, "team", None))
    return InboxFilter(
        status=_valid(form.status),
        kind=Kind(form.kind.data) if _valid(form.kind) else None,
        channel=Channel(form.channel.data) if _valid(form.channel) else None,
        location_id=int(form.location.data) if _valid(form.location) else None,
        card_code=_valid(form.card),
        rating=int(form.rating.data) if _valid(form.rating) else None,
        received_from=_valid(form.received_from),
        received_to=_valid(form.received_to),
        overdue=bool(form.overdue.data),
        team_id=int(team) if team and team != NO_TEAM else None,
        without_team=team == NO_TEAM,
        q=_valid(form.q),
        sort=Sort(form.sort.data) if _valid(form.sort) else Sort.RECEIVED,
    )


def _filter_args(args: MultiDict, *, cursor: bool = False) -> dict[str, str]:
    keys = (*FILTER_KEYS, "before", "after") if cursor else FILTER_KEYS
    return {key: args[key] for key in keys if args.get(key)}


def _render_inbox(args: MultiDict, bulk_form: BulkForm | None = None, status: int = 200):
    form = _filter_form(args)
    now = utcnow()
    page = inbox_page(
        db.session,
        _inbox_filter(form),
        user=g.user,
        now=now,
        before=Cursor.parse(args.get("before")),
        after=Cursor.parse(args.get("after")),
    )
    if bulk_form is None:
        bulk_form = BulkForm(formdata=None)
    _bulk_choices(bulk_form)
    filters = _filter_args(args)
    bulk_form.back.data = urlencode(list(_filter_args(args, cursor=True).items()))
    return render_template(
        "admin/inbox/index.html",
        form=form,
        page=page,
        counts=counts(db.session, g.user, now),
        filters=filters,
        filtered=bool(set(filters) - {"sort"}),
        bulk_form=bulk_form,
        selected=set(bulk_form.ids.data or ()),
        bulk_summary=_summary(bulk_form),
        by_deadline=_valid(form.sort) == Sort.DEADLINE,
        mail_failed=count_failed_mail(db.session) if g.user.role == Role.KRM else 0,
        now=now,
    ), status


def _bulk_choices(form: BulkForm) -> None:
    if g.user.role == Role.KRM:
        form.team.choices = _team_choices(EMPTY)
    else:
        form.action.choices = [c for c in form.action.choices if c.value != BulkAction.TEAM]
        del form.team


@bp.get("/")
@requires(Role.TEAM)
def index():
    return _render_inbox(request.args)


@bp.post("/entries/bulk")
@requires(Role.TEAM)
def bulk_action():
    form = BulkForm()
    if form.action.data == BulkAction.TEAM and g.user.role != Role.KRM:
        abort(403)
    _bulk_choices(form)
    back = MultiDict(parse_qsl(form.back.data or ""))
    if not form.validate():
        return _render_inbox(back, form, 422)
    team = getattr(form, "team", None)
    try:
        result = bulk(
            db.session,
            form.ids.data,
            BulkAction(form.action.data),
            actor=g.user,
            now=utcnow(),
            team_id=int(team.data) if team is not None and team.data else None,
        )
    except TriageError as error:
        form.action.errors.append(str(error))
        return _render_inbox(back, form, 422)
    db.session.commit()
    flash(_bulk_message(result.changed, result.skipped))
    return redirect(url_for(".index", **_filter_args(back, cursor=True)), code=303)


def _bulk_message(changed: int, skipped: int) -> str:
    message = "1 Eintrag geändert." if changed == 1 else f"{changed} Einträge geändert."
    if skipped:
        message += f" {skipped} nicht geändert (passt nicht zur Aktion oder ist schon so)."
    return message


# --- entry -------------------------------------------------------------------------------------


class ConcernForm(FlaskForm):
    class Meta:
        csrf = False  # a part of EntryForm, which carries the token

    kind = SelectField("Anliegensart", choices=[EMPTY, *_labels(ConcernKind)], default="")
    area = SelectField(
        "Bereich", choices=[EMPTY, *_choices(AREA_REGISTER_LABELS.items())], default=""
    )
    topic = SelectField("Thema", choices=[EMPTY], default="")
    assessment = SelectField("Bewertung", choices=[EMPTY, *_labels(Assessment)], default="")

    @property
    def is_empty(self) -> bool:
        return not any(f.data for f in (self.kind, self.area, self.topic, self.assessment))

    def validate_kind(self, field: SelectField) -> None:
        if not field.data and not self.is_empty:
            raise ValidationError("Bitte wählen Sie die Anliegensart – oder leeren Sie die Zeile.")

    def validate_assessment(self, field: SelectField) -> None:
        kind = ConcernKind.lookup(self.kind.data)
        if kind is not None and not self.kind.errors:
            problem = concern_problem(kind, Assessment.lookup(field.data))
            if problem:
                raise ValidationError(problem)


class EntryForm(FlaskForm):
    concerns = FieldList(FormField(ConcernForm), min_entries=MAX_CONCERNS, max_entries=MAX_CONCERNS)
    status = SelectField("Status", choices=_labels(Status))
    team = SelectField("Team", choices=[EMPTY], default="")
    ombudsstelle = BooleanField("An die Ombudsstelle gerichtet (Erfasserbemerkung)")
    acknowledge = SubmitField("Speichern und Eingangsbestätigung erledigt")

    def filled_concerns(self) -> list[ConcernForm]:
        return [entry.form for entry in self.concerns if not entry.form.is_empty]

    def validate_status(self, field: SelectField) -> None:
        status = Status.lookup(field.data)
        problem = status and status_problem(status, len(self.filled_concerns()))
        if problem:
            raise ValidationError(problem)


class NoteForm(FlaskForm):
    note = TextAreaField(
        "Neue Notiz",
        filters=[clean_text],
        validators=[
            DataRequired("Bitte schreiben Sie eine Notiz."),
            Length(max=MAX_NOTE, message=f"Eine Notiz hat höchstens {MAX_NOTE} Zeichen."),
        ],
    )


def _mail_config() -> MailConfig:
    return MailConfig.from_config(current_app.config)


class InterimForm(FlaskForm):
    reason = TextAreaField(
        "Warum dauert es länger?",
        validators=[
            DataRequired("Bitte nennen Sie den Grund, warum es länger dauert."),
            Length(max=MAX_REASON, message=f"Der Grund hat höchstens {MAX_REASON} Zeichen."),
        ],
    )
    until = DateField(
        "Antwort voraussichtlich bis",
        format=DATE_FORMATS,
        validators=[InputRequired("Bitte geben Sie an, bis wann Sie voraussichtlich antworten.")],
    )

    def validate_until(self, field: DateField) -> None:
        if field.data and field.data <= local_date(utcnow()):
            raise ValidationError("Das voraussichtliche Datum muss nach heute liegen.")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.until.process_errors and self.until.raw_data != [""]:
            self.until.errors[:] = [
                "Bitte geben Sie ein gültiges Datum an, zum Beispiel 31.12.2026."
            ]
        return valid


def _entry_or_404(entry_id: int):
    feedback = visible_entry(db.session, entry_id, g.user)
    if feedback is None:
        abort(404)
    return feedback


def _entry_data(feedback) -> dict:
    rows = [
        {
            "kind": c.kind.value,
            "area": c.area.value if c.area else "",
            "topic": str(c.topic_id or ""),
            "assessment": c.assessment.value if c.assessment else "",
        }
        for c in feedback.concerns
    ]
    return {
        "concerns": rows,
        "status": feedback.status.value,
        "team": str(feedback.team_id or ""),
        "ombudsstelle": feedback.ombudsstelle,
    }


def _entry_form(feedback, formdata=None) -> EntryForm:
    form = EntryForm(formdata=formdata, data=_entry_data(feedback))
    topics = db.session.scalars(select(Topic).order_by(Topic.name))
    used = {c.topic_id for c in feedback.concerns}
    choices = [EMPTY, *_choices((str(t.id), t.name) for t in topics if t.active or t.id in used)]
    for entry in form.concerns:
        entry.form.topic.choices = choices
    if g.user.role == Role.KRM:
        choices = _team_choices(SelectChoice("", "kein Team"))
        if feedback.team and not feedback.team.active:
            choices.append(SelectChoice(str(feedback.team.id), feedback.team.name))
        form.team.choices = choices
    else:
        del form.team
    return form


def _render_entry(
    feedback,
    form=None,
    note_form=None,
    status: int = 200,
    error: str = "",
    interim_form=None,
):
    form = form or _entry_form(feedback)
    note_form = note_form or NoteForm(formdata=None)
    interim_form = interim_form or InterimForm(formdata=None)
    messages = messages_of(db.session, feedback.id)
    now = utcnow()
    reminder_days = int(current_app.config["MAIL_INTERIM_REMINDER_DAYS"])
    return render_template(
        "admin/inbox/entry.html",
        entry=feedback,
        form=form,
        note_form=note_form,
        interim_form=interim_form,
        mail_messages=messages,
        interim_due=interim_due(feedback, messages, now, reminder_days),
        interim_problem=interim_problem(
            feedback, messages, MailConfig.from_config(current_app.config)
        ),
        summary=_summary(form, error) + _summary(note_form) + _summary(interim_form),
        history=history_lines(history(db.session, feedback.id)),
        google_review=(
            review_for_feedback(db.session, feedback.id)
            if feedback.channel == Channel.SOCIAL_MEDIA and g.user.role == Role.KRM
            else None
        ),
        now=now,
    ), status


def _summary(form, error: str = "") -> list[tuple[str, str]]:
    """(anchor, message) for the error summary; Anliegen rows say which one."""
    items = [("entry-form", error)] if error else []
    for field in form:
        if isinstance(field, FieldList):
            for number, entry in enumerate(field, start=1):
                items += [
                    (sub.id, f"Anliegen {number}, {sub.label.text}: {message}")
                    for sub in entry.form
                    for message in sub.errors
                ]
        else:
            items += [(field.id, message) for message in field.errors]
    return items


@bp.route("/entries/<int:id>", methods=["GET", "POST"])
@requires(Role.TEAM)
def entry(id: int):
    feedback = _entry_or_404(id)
    if request.method == "GET":
        return _render_entry(feedback)
    form = _entry_form(feedback, request.form)
    if not form.validate():
        return _render_entry(feedback, form, status=422)
    try:
        changed = update_entry(db.session, feedback, _changes(form), actor=g.user, now=utcnow())
    except TriageError as error:
        return _render_entry(feedback, form, status=422, error=str(error))
    db.session.commit()
    flash("Änderungen gespeichert." if changed else "Es gab nichts zu ändern.")
    return redirect(url_for(".entry", id=feedback.id), code=303)


def _changes(form: EntryForm) -> EntryChanges:
    team = getattr(form, "team", None)
    return EntryChanges(
        concerns=[
            ConcernInput(
                kind=ConcernKind(row.kind.data),
                area=Area.lookup(row.area.data),
                topic_id=int(row.topic.data) if row.topic.data else None,
                assessment=Assessment.lookup(row.assessment.data),
            )
            for row in form.filled_concerns()
        ],
        status=Status(form.status.data),
        ombudsstelle=bool(form.ombudsstelle.data),
        team_id=UNCHANGED if team is None else (int(team.data) if team.data else None),
        acknowledge=bool(form.acknowledge.data),
    )


@bp.post("/entries/<int:id>/notes")
@requires(Role.TEAM)
def note(id: int):
    feedback = _entry_or_404(id)
    note_form = NoteForm()
    if not note_form.validate():
        return _render_entry(feedback, note_form=note_form, status=422)
    try:
        add_note(db.session, feedback, note_form.note.data, actor=g.user, now=utcnow())
    except TriageError as error:
        note_form.note.errors.append(str(error))
        return _render_entry(feedback, note_form=note_form, status=422)
    db.session.commit()
    flash("Notiz gespeichert.")
    return redirect(url_for(".entry", id=feedback.id, _anchor="notes"), code=303)


@bp.post("/entries/<int:id>/interim")
@requires(Role.TEAM)
def interim(id: int):
    """Queue the Zwischennachricht: the template, with the reason and the date, in one step."""
    feedback = _entry_or_404(id)
    interim_form = InterimForm()
    if not interim_form.validate():
        return _render_entry(feedback, interim_form=interim_form, status=422)
    try:
        message_id = queue_interim(
            db.session,
            feedback,
            reason=interim_form.reason.data,
            until=interim_form.until.data,
            config=_mail_config(),
            actor=g.user,
            now=utcnow(),
        )
    except MailActionError as error:
        interim_form.reason.errors = [*interim_form.reason.errors, str(error)]
        return _render_entry(feedback, interim_form=interim_form, status=422)
    db.session.commit()
    flash("Die Zwischennachricht ist zum Versand gegeben.")
    response = redirect(url_for(".entry", id=feedback.id, _anchor="mail"), code=303)
    app = current_app._get_current_object()
    response.call_on_close(partial(send_after_response, app, [message_id]))
    return response
