"""The public feedback form. No CSRF token: it is anonymous, cookieless and may be frozen."""

from __future__ import annotations

from collections.abc import Mapping

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    Form,
    HiddenField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional, ValidationError

from portal.i18n import LANGUAGES
from portal.submissions import Submission
from portal.text import clean_text
from portal.vocab import RATINGS, Area, Channel, Kind

MAX_TEXT = 2000


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _strip(value: str | None) -> str | None:
    return value.strip() or None if isinstance(value, str) else value


class FeedbackForm(Form):
    rating = RadioField(
        _l("Wie zufrieden sind Sie mit dem Jobcenter?"),
        choices=_choices(RATINGS),
        filters=[_strip],
        validators=[Optional()],
        invalid_choice_message=_l("Bitte wählen Sie einen der fünf Werte aus."),
    )
    kind = RadioField(
        _l("Was möchten Sie uns sagen?"),
        choices=_choices(Kind.choices()),
        filters=[_strip],
        validators=[Optional()],
        invalid_choice_message=_l("Bitte wählen Sie Lob, Anregung oder Kritik."),
    )
    area = RadioField(
        _l("Worum geht es? (freiwillig)"),
        choices=_choices(Area.choices()),
        filters=[_strip],
        validators=[Optional()],
        invalid_choice_message=_l("Bitte wählen Sie einen der genannten Bereiche."),
    )
    text = TextAreaField(
        _l("Ihre Nachricht"),
        filters=[clean_text],
        validators=[
            Length(
                max=MAX_TEXT,
                message=_l(
                    "Ihre Nachricht ist zu lang: höchstens %(max)d Zeichen, bitte kürzen Sie sie.",
                    max=MAX_TEXT,
                ),
            )
        ],
    )
    contact_email = StringField(_l("E-Mail-Adresse"), filters=[_strip])
    contact_phone = StringField(_l("Telefonnummer"), filters=[_strip])
    consent = BooleanField(
        _l(
            "Ich bin einverstanden, dass das Jobcenter meine E-Mail-Adresse oder Telefonnummer "
            "speichert, um mir zu antworten."
        )
    )
    # Honeypot: hidden from people, labelled for screen readers; bots fill every field they see.
    website = StringField(_l("Dieses Feld bitte leer lassen"), filters=[_strip])
    card = HiddenField(filters=[_strip])
    lang = HiddenField(filters=[_strip])

    def validate_contact_email(self, field: StringField) -> None:
        if not field.data:
            return
        if len(field.data) > 254:
            raise ValidationError(_l("Diese E-Mail-Adresse ist zu lang."))
        if normalize_email(field.data) is None:
            raise ValidationError(
                _l("Bitte geben Sie eine gültige E-Mail-Adresse an, zum Beispiel name@beispiel.de.")
            )

    def validate_contact_phone(self, field: StringField) -> None:
        if field.data and normalize_phone(field.data) is None:
            raise ValidationError(
                _l("Bitte geben Sie eine gültige Telefonnummer an, zum Beispiel 0261 123456.")
            )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.rating.data and not self.text.data and not self.rating.errors:
            self.rating.errors.append(
                _l("Bitte geben Sie eine Bewertung ab oder schreiben Sie uns eine Nachricht.")
            )
            valid = False
        has_contact = bool(self.contact_email.data or self.contact_phone.data)
        if has_contact and not self.consent.data:
            self.consent.errors.append(
                _l(
                    "Bitte stimmen Sie zu, damit wir Ihnen antworten können – oder löschen Sie "
                    "E-Mail-Adresse und Telefonnummer, wenn Sie anonym bleiben möchten."
                )
            )
            valid = False
        if self.consent.data and not has_contact and not self.contact_email.errors:
            self.contact_email.errors.append(
                _l("Bitte geben Sie eine E-Mail-Adresse oder eine Telefonnummer an.")
            )
            valid = False
        return valid

    @property
    def language(self) -> str | None:
        return self.lang.data if self.lang.data in LANGUAGES else None

    @property
    def wants_answer(self) -> bool:
        return bool(self.consent.data or self.contact_email.data or self.contact_phone.data)

    def error_summary(self) -> list[tuple[str, str]]:
        """(anchor, message) for each error, in the order of the fields on the page."""
        return [
            (_anchor(field), str(message))
            for field in self
            if field.errors
            for message in field.errors
        ]


RATING_VALUES = frozenset(str(value) for value, _label in RATINGS)
KIND_VALUES = frozenset(value for value, _label in Kind.choices())
AREA_VALUES = frozenset(value for value, _label in Area.choices())


def submission_of(fields: Mapping[str, str], language: str) -> Submission | None:
    """The submission a post makes when every field of it is valid, read without WTForms.

    The collector's fast path (``portal.public.intake``) stores such a post before Flask sees it.
    None means some field is not valid, and ``FeedbackForm`` says which: the two follow the same
    rules, and ``tests/test_intake.py`` checks that they agree on random posts. ``fields`` holds
    the first value of each posted name.
    """
    rating, kind, area = (_strip(fields.get(name)) for name in ("rating", "kind", "area"))
    if (
        (rating is not None and rating not in RATING_VALUES)
        or (kind is not None and kind not in KIND_VALUES)
        or (area is not None and area not in AREA_VALUES)
    ):
        return None
    text = clean_text(fields.get("text"))
    if (text and len(text) > MAX_TEXT) or not (rating or text):
        return None
    email, phone = _strip(fields.get("contact_email")), _strip(fields.get("contact_phone"))
    consent = fields.get("consent", "") not in BooleanField.false_values
    if email and (len(email) > 254 or normalize_email(email) is None):
        return None
    if (phone and normalize_phone(phone) is None) or consent != bool(email or phone):
        return None
    card = _strip(fields.get("card"))
    return Submission(
        channel=Channel.CARD_QR if card else Channel.HOMEPAGE,
        language=language,
        rating=int(rating) if rating else None,
        kind=Kind(kind) if kind else None,
        area=Area(area) if area else None,
        text=text,
        contact_email=normalize_email(email) if consent else None,
        contact_phone=normalize_phone(phone) if consent else None,
        card_code=card,
    )


def normalize_email(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def normalize_phone(value: str | None) -> str | None:
    """E.164 form of a German or international number, or None if it is not a valid one."""
    if not value:
        return None
    try:
        number = phonenumbers.parse(value[:40], "DE")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _anchor(field) -> str:
    """The id of the first input of a field, where the error summary link should land."""
    return f"{field.id}-0" if isinstance(field, RadioField) else field.id
