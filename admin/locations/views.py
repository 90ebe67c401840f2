"""Dienststellen und Karten: locations, their cards, QR codes and print sheets.

The same services as ``krm locations …`` and ``krm cards …`` (cards.services, cards.qr,
cards.sheets); this module only adds forms, German messages and audit events.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
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
from wtforms import IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Regexp,
    ValidationError,
)

from admin.access import requires
from admin.forms import berlin_date, error_summary, single_line
from cards import qr
from cards.codes import normalize
from cards.models import Card, Location
from cards.services import (
    CardError,
    add_cards,
    add_location,
    find_card,
    list_cards,
    list_locations,
    print_sheet,
    retire_card,
)
from cards.sheets import CARD_SIZES, SheetError
from portal.db import utcnow
from portal.extensions import db
from portal.i18n import DEFAULT_LANGUAGE, LANGUAGES
from portal.vocab import AREA_REGISTER_LABELS, Area

bp = Blueprint("cards", __name__, url_prefix="/cards")

MAX_CARDS = 100  # at a time, from the form; the CLI allows more
AREA_CHOICES = [SelectChoice("", "– kein Bereich –")] + [
    SelectChoice(area.value, AREA_REGISTER_LABELS[area]) for area in Area
]


def _upper(value: str | None) -> str | None:
    return value.strip().upper() if isinstance(value, str) else value


class LocationForm(FlaskForm):
    location_code = StringField(
        "Kürzel",
        filters=[_upper],
        validators=[
            DataRequired("Bitte geben Sie ein Kürzel ein, zum Beispiel HST."),
            Length(max=16, message="Das Kürzel darf höchstens 16 Zeichen haben."),
            Regexp(
                r"^[A-Z0-9-]+$",
                message="Das Kürzel darf nur Buchstaben A–Z, Ziffern und Bindestriche enthalten.",
            ),
        ],
    )
    location_name = StringField(
        "Name",
        filters=[single_line],
        validators=[
            DataRequired("Bitte geben Sie den Namen der Dienststelle ein."),
            Length(max=200, message="Der Name darf höchstens 200 Zeichen haben."),
        ],
    )

    def validate_location_code(self, field: StringField) -> None:
        if db.session.scalar(select(Location.id).where(Location.code == field.data)):
            raise ValidationError(f"Eine Dienststelle mit dem Kürzel {field.data} gibt es schon.")


class CardsForm(FlaskForm):
    card_location = SelectField(
        "Dienststelle",
        default="",
        validators=[DataRequired("Bitte wählen Sie die Dienststelle.")],
    )
    card_label = StringField(
        "Kontaktpunkt",
        filters=[single_line],
        validators=[
            DataRequired("Bitte geben Sie an, wo die Karten ausliegen, zum Beispiel „Empfang“."),
            Length(max=200, message="Höchstens 200 Zeichen, bitte kürzen Sie."),
        ],
    )
    card_count = IntegerField(
        "Anzahl",
        default=1,
        validators=[
            InputRequired("Bitte geben Sie an, wie viele Karten angelegt werden sollen."),
            NumberRange(min=1, max=MAX_CARDS, message=f"Bitte eine Anzahl von 1 bis {MAX_CARDS}."),
        ],
    )
    card_area = SelectField("Bereich (freiwillig)", choices=AREA_CHOICES, default="")

    def set_locations(self, locations) -> CardsForm:
        self.card_location.choices = [SelectChoice("", "– bitte wählen –")] + [
            SelectChoice(location.code, f"{location.code} – {location.name}")
            for location in locations
        ]
        return self


class RetireForm(FlaskForm):
    """The confirmation of retiring a card: a button, and the CSRF token."""


@bp.get("/")
@requires()
def index():
    return _page()


@bp.post("/locations")
@requires()
def location_add():
    form = LocationForm()
    if form.validate_on_submit():
        try:
            location = add_location(
                db.session,
                form.location_code.data,
                form.location_name.data,
                actor=g.user.name,
                actor_id=g.user.id,
            )
        except CardError as error:
            form.location_code.errors.append(error.german)
        else:
            db.session.commit()
            flash(f"Dienststelle {location.code} ({location.name}) angelegt.")
            return redirect(url_for(".index", _anchor=f"dienststelle-{location.code}"), code=303)
    db.session.rollback()
    return _page(location_form=form), 422


@bp.post("/add")
@requires()
def cards_add():
    form = CardsForm().set_locations(list_locations(db.session))
    if form.validate_on_submit():
        area = Area(form.card_area.data) if form.card_area.data else None
        try:
            cards = add_cards(
                db.session,
                form.card_location.data,
                form.card_label.data,
                count=form.card_count.data,
                default_area=area,
                actor=g.user.name,
                actor_id=g.user.id,
            )
        except CardError as error:
            form.card_label.errors.append(error.german)
        else:
            codes = [card.code for card in cards]
            location = cards[0].location
            db.session.commit()
            noun = "Karte" if len(codes) == 1 else "Karten"
            flash(
                f"{len(codes)} neue {noun} für {location.code} „{form.card_label.data}“ angelegt."
            )
            return redirect(url_for(".index", neu=",".join(codes), _anchor="neue-karten"), code=303)
    db.session.rollback()
    return _page(cards_form=form), 422


@bp.route("/<code>/retire", methods=["GET", "POST"])
@requires()
def retire(code: str):
    card = _card(code)
    form = RetireForm()
    if card.retired_at is None and form.validate_on_submit():
        retire_card(db.session, card.code, now=utcnow(), actor=g.user.name, actor_id=g.user.id)
        db.session.commit()
        flash(
            f"Karte {card.code} ist stillgelegt. Sie wird nicht mehr gedruckt; ausgegebene "
            "Exemplare funktionieren weiter."
        )
        return redirect(url_for(".index", _anchor=f"dienststelle-{card.location.code}"), code=303)
    if request.method == "POST":  # retired already: nothing to do
        return redirect(url_for(".index", _anchor=f"dienststelle-{card.location.code}"), code=303)
    return render_template(
        "admin/locations/retire.html",
        card=card,
        form=form,
        url=_card_url(card.code),
        date_de=berlin_date,
    )


@bp.get("/<code>/qr.svg")
@requires()
def qr_svg(code: str):
    card = _card(code)
    return _download(
        qr.svg(_card_url(card.code)), "image/svg+xml", f"meinungskarte-{card.code}", "svg"
    )


@bp.get("/<code>/qr.png")
@requires()
def qr_png(code: str):
    card = _card(code)
    return _download(qr.png(_card_url(card.code)), "image/png", f"meinungskarte-{card.code}", "png")


@bp.get("/sheet.pdf")
@requires()
def sheet_as_pdf():
    """Print sheets as PDF: see ``_sheet``."""
    return _sheet("pdf")


@bp.get("/sheet.html")
@requires()
def sheet_as_html():
    """Print sheets as HTML: see ``_sheet``."""
    return _sheet("html")


def _sheet(kind: str):
    """Print sheets of the active cards of a location (``?location=HST``), of some cards
    (``?card=7QX2M&card=K4R9T``) or of all locations (neither), in a size (``?size=A6``),
    with a second language on each card (``?language=ar``) or in German alone (none)."""
    location_code = (request.args.get("location") or "").strip().upper() or None
    codes = [code for code in request.args.getlist("card") if code.strip()]
    size = (request.args.get("size") or current_app.config["CARD_SIZE"]).strip().upper()
    language = (request.args.get("language") or "").strip().lower() or None
    try:
        sheet = print_sheet(
            db.session,
            kind,
            location_code=location_code,
            codes=codes,
            card_size=size,
            base_url=current_app.config["PUBLIC_BASE_URL"],
            jobcenter_name=current_app.config["JOBCENTER_NAME"],
            language=language,
        )
    except CardError as error:
        if isinstance(error.__cause__, SheetError):  # the server lacks the font
            status = 503
        elif size not in CARD_SIZES or (language and language not in LANGUAGES):
            status = 400
        else:
            status = 404
        return _page(sheet_error=error.german), status
    name = f"meinungskarten-{location_code or ('auswahl' if codes else 'alle')}-{size}"
    if language and language != DEFAULT_LANGUAGE:
        name += f"-de-{language}"
    mimetype = "application/pdf" if kind == "pdf" else "text/html"
    return _download(sheet.content, mimetype, name, kind)


def _page(
    *,
    location_form: LocationForm | None = None,
    cards_form: CardsForm | None = None,
    sheet_error: str | None = None,
) -> str:
    locations = list_locations(db.session)
    location_form = location_form or LocationForm(formdata=None)
    cards_form = cards_form or CardsForm(formdata=None).set_locations(locations)
    return render_template(
        "admin/locations/index.html",
        locations=locations,
        new_cards=_new_cards(request.args.get("neu", "")),
        location_form=location_form,
        cards_form=cards_form,
        summary=error_summary(location_form, cards_form),
        sheet_error=sheet_error,
        sizes=list(CARD_SIZES),
        languages=[language for code, language in LANGUAGES.items() if code != DEFAULT_LANGUAGE],
        default_size=current_app.config["CARD_SIZE"].upper(),
        card_url=_card_url,
        area_labels=AREA_REGISTER_LABELS,
        date_de=berlin_date,
    )


def _new_cards(codes: str) -> list[Card]:
    """The cards just created, named in the redirect after creating them."""
    wanted = [code for code in (normalize(part) for part in codes.split(",")) if code]
    if not wanted:
        return []
    try:
        return list(list_cards(db.session, codes=wanted[:MAX_CARDS], include_retired=True))
    except CardError:
        return []


def _card_url(code: str) -> str:
    return qr.card_url(current_app.config["PUBLIC_BASE_URL"], code)


def _card(code: str) -> Card:
    card = find_card(db.session, code)
    if card is None:
        abort(404)
    return card


def _download(body: str | bytes, mimetype: str, name: str, extension: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    response.headers["Cache-Control"] = "no-store"
    return response
