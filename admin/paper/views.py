"""Papierkarten erfassen: typing in the paper cards that come back in the box, one after another.

The form follows the printed card (code, smileys, Lob/Anregung/Kritik, text) and is stored by the
same service as the public collector (``portal.submissions.submit_feedback``): masked,
de-duplicated, with deadlines, under the channel "Meinungskarte (Papier)". After each card the
form comes back empty, with a running count and the location and date kept for the next card of
the same stack.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from admin.access import requires
from admin.forms import DATE_FORMATS, berlin_date, error_summary
from admin.paper.service import PaperCard, capture_paper_card
from cards.codes import normalize
from cards.models import Card
from cards.services import find_card, list_locations
from portal.db import utcnow
from portal.deadlines import BERLIN
from portal.extensions import db
from portal.public.forms import MAX_TEXT
from portal.submissions import Rules
from portal.text import clean_text
from portal.vocab import AREA_REGISTER_LABELS, RATINGS, Area, Kind

bp = Blueprint("capture", __name__, url_prefix="/paper")


# The form -------------------------------------------------------------------------------------


class CaptureForm(FlaskForm):
    code = StringField("Kartencode", filters=[lambda value: value.strip() if value else value])
    location = SelectField("oder Dienststelle", default="")
    rating = RadioField(
        "Bewertung",
        choices=[SelectChoice(value, f"{value} – {words}") for value, words in RATINGS],
        validators=[Optional()],
        invalid_choice_message="Bitte wählen Sie einen der fünf Werte.",
    )
    kind = RadioField(
        "Art",
        choices=[SelectChoice(value, label) for value, label in Kind.choices()],
        validators=[Optional()],
        invalid_choice_message="Bitte wählen Sie Lob, Anregung oder Kritik.",
    )
    area = SelectField(
        "Bereich (freiwillig)",
        default="",
        choices=[SelectChoice("", "– keine Angabe –")]
        + [SelectChoice(area.value, AREA_REGISTER_LABELS[area]) for area in Area],
    )
    text = TextAreaField(
        "Text der Karte",
        filters=[clean_text],
        validators=[
            Length(max=MAX_TEXT, message=f"Höchstens {MAX_TEXT} Zeichen, bitte kürzen Sie.")
        ],
    )
    received_on = DateField(
        "Datum (geschrieben oder eingegangen)",
        format=DATE_FORMATS,
        validators=[InputRequired("Bitte geben Sie das Datum an.")],
    )
    count = HiddenField()

    card: Card | None = None  # the card of a valid code, found during validation

    def setup(self, locations, today: date) -> CaptureForm:
        self.today = today
        self.location.choices = [SelectChoice("", "– nur wenn der Code fehlt –")] + [
            SelectChoice(str(location.id), f"{location.code} – {location.name}")
            for location in locations
        ]
        return self

    def validate_code(self, field: StringField) -> None:
        if not field.data:
            if not self.location.data:
                raise ValidationError(
                    "Bitte geben Sie den Kartencode ein oder wählen Sie die Dienststelle."
                )
            return
        canonical = normalize(field.data)
        self.card = find_card(db.session, canonical) if canonical else None
        if self.card is None:
            raise ValidationError(
                f"Eine Karte mit dem Code „{field.data}“ gibt es nicht. Bitte prüfen Sie den "
                "Code – oder leeren Sie das Feld und wählen Sie die Dienststelle."
            )

    def validate_received_on(self, field: DateField) -> None:
        if field.data and field.data > self.today:
            raise ValidationError(
                f"Das Datum liegt in der Zukunft. Bitte ein Datum bis heute "
                f"({berlin_date(self.today)})."
            )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.received_on.process_errors and self.received_on.raw_data != [""]:
            self.received_on.errors[:] = [
                f"Bitte geben Sie ein gültiges Datum an, zum Beispiel {berlin_date(self.today)}."
            ]
        if not self.rating.data and not self.text.data and not self.rating.errors:
            self.rating.errors.append(
                "Die Karte ist leer: Bitte erfassen Sie die Bewertung oder den Text."
            )
            valid = False
        return valid

    def entry(self) -> PaperCard:
        return PaperCard(
            received_on=self.received_on.data,
            card_code=self.card.code if self.card else None,
            location_id=None if self.card else int(self.location.data),
            rating=int(self.rating.data) if self.rating.data else None,
            kind=Kind(self.kind.data) if self.kind.data else None,
            area=Area(self.area.data) if self.area.data else None,
            text=self.text.data,
        )


# The view -------------------------------------------------------------------------------------


@bp.route("/", methods=["GET", "POST"])
@requires()
def index():
    now = utcnow()
    today = now.astimezone(BERLIN).date()
    locations = list_locations(db.session)
    if request.method == "GET":
        form = CaptureForm(formdata=None).setup(locations, today)
        _sticky(form, request.args, today)
        return _page(form, locations)

    form = CaptureForm().setup(locations, today)
    if not form.validate_on_submit():
        return _page(form, locations), 422
    entry = form.entry()
    rules = Rules.from_config(current_app.config)
    stored = capture_paper_card(
        db.session, entry, actor=g.user.name, actor_id=g.user.id, now=now, rules=rules
    )
    db.session.commit()
    count = _count(form.count.data)
    if stored.duplicate:
        hours = int(rules.duplicate_window.total_seconds() // 3600)
        flash(
            f"Eine Karte mit genau diesen Angaben wurde in den letzten {hours} Stunden schon "
            f"erfasst (Nr. {stored.feedback_id}) und nicht noch einmal gespeichert. Nächste Karte:"
        )
    else:
        count += 1
        flash(f"Karte erfasst (Nr. {stored.feedback_id}). Nächste Karte:")
    keep = {
        "count": count,
        "location": form.location.data or None,
        "date": entry.received_on.isoformat() if entry.received_on != today else None,
    }
    return redirect(url_for(".index", **{k: v for k, v in keep.items() if v}), code=303)


def _sticky(form: CaptureForm, args, today: date) -> None:
    """Fill the empty form with what the stack of cards shares: the location and the date."""
    form.count.data = str(_count(args.get("count")))
    location = args.get("location", "")
    if location in {choice.value for choice in form.location.choices}:
        form.location.data = location
    form.received_on.data = today
    try:
        day = date.fromisoformat(args.get("date", ""))
    except ValueError:
        return
    if day <= today:
        form.received_on.data = day


def _count(value: str | None) -> int:
    try:
        return max(0, min(int(value or 0), 100_000))
    except ValueError:
        return 0


def _page(form: CaptureForm, locations) -> str:
    return render_template(
        "admin/paper/capture.html",
        form=form,
        locations=locations,
        summary=error_summary(form),
        count=_count(form.count.data),
        today=form.today,
    )


# Scan einlesen and Prüfen (scan_views.py) live below /admin/paper too; they use CaptureForm.
from admin.paper import scan_views  # noqa: E402

bp.register_blueprint(scan_views.bp)
