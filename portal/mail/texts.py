"""The texts of the mails to citizens: translated defaults, and the officer's own versions.

Each kind (Eingangsbestätigung, Zwischennachricht) has a default subject and body: German source
texts, translated through the catalogues like every public text. The KRM officer may write an
own version per kind and language (``MailTemplate``); a language without one gets the translated
default, and a default a translation broke (an unknown placeholder) falls back to German. The texts
name nothing of the citizen's but the reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from babel.core import UnknownLocaleError
from babel.dates import format_date
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.audit import record
from portal.db import Base, UTCDateTime, utcnow, vocab_type
from portal.i18n import DEFAULT_LANGUAGE, LANGUAGES, language
from portal.mail.smtp import one_line
from portal.placeholders import placeholder_problem
from portal.vocab import MailKind

MAX_SUBJECT = 150
MAX_BODY = 5000
CITIZEN_KINDS = (MailKind.ACKNOWLEDGEMENT, MailKind.INTERIM)

COMMON = {
    "aktenzeichen": "Aktenzeichen der Nachricht, z. B. „KRM-42“",
    "jobcenter": "Name des Jobcenters",
    "eingang": "Tag des Eingangs, z. B. „2. Dezember 2026“ (in der Sprache der Nachricht)",
    "abschluss": "Abschlussfrist (14 Tage nach Eingang), ebenso geschrieben",
}
PLACEHOLDERS: dict[MailKind, dict[str, str]] = {
    MailKind.ACKNOWLEDGEMENT: COMMON,
    MailKind.INTERIM: COMMON
    | {
        "grund": "der Grund, den Sie beim Senden angeben",
        "datum": "das voraussichtliche Datum der Antwort, das Sie beim Senden angeben",
    },
}

DEFAULTS = {
    MailKind.ACKNOWLEDGEMENT: (
        _l("Eingangsbestätigung: Ihre Nachricht {aktenzeichen}"),
        _l(
            "Guten Tag,\n\n"
            "vielen Dank für Ihre Nachricht an das {jobcenter}. Sie ist am {eingang} bei uns "
            "eingegangen und hat das Aktenzeichen {aktenzeichen}.\n\n"
            "So geht es weiter: Wir prüfen Ihr Anliegen und geben es an die zuständige Stelle. "
            "Sie bekommen eine Antwort bis zum {abschluss}. Wenn es länger dauert, schreiben wir "
            "Ihnen vorher, warum und bis wann.\n\n"
            "Bitte nennen Sie bei Rückfragen das Aktenzeichen {aktenzeichen}.\n\n"
            "Mit freundlichen Grüßen\n"
            "{jobcenter}\n\n"
            "Diese E-Mail wurde automatisch versandt."
        ),
    ),
    MailKind.INTERIM: (
        _l("Zwischennachricht: Ihre Nachricht {aktenzeichen}"),
        _l(
            "Guten Tag,\n\n"
            "Sie haben uns am {eingang} geschrieben (Aktenzeichen {aktenzeichen}). Leider können "
            "wir Ihr Anliegen noch nicht abschließend beantworten.\n\n"
            "Der Grund: {grund}\n\n"
            "Wir werden Ihnen voraussichtlich bis zum {datum} antworten.\n\n"
            "Vielen Dank für Ihre Geduld.\n\n"
            "Mit freundlichen Grüßen\n"
            "{jobcenter}"
        ),
    ),
}


class MailTemplate(Base):
    """The officer's own version of one kind of mail in one language."""

    __tablename__ = "mail_template"
    __table_args__ = (UniqueConstraint("kind", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MailKind] = mapped_column(vocab_type(MailKind))
    language: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(MAX_SUBJECT))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(80))


@dataclass(frozen=True)
class Texts:
    subject: str
    body: str
    edited: MailTemplate | None = None


class TemplateError(ValueError):
    """Problems of a template form, by field ("subject", "body"), in German."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def default_texts(kind: MailKind, lang: str) -> Texts:
    """The translated default; German where the translation lacks or breaks a placeholder."""
    translated = _translated(kind, lang)
    if texts_problem(kind, translated.subject, translated.body):
        return _translated(kind, DEFAULT_LANGUAGE)  # German is the source: no catalogue
    return translated


def _translated(kind: MailKind, lang: str) -> Texts:
    subject, body = DEFAULTS[kind]
    with force_locale(language(lang).locale):
        return Texts(str(subject), str(body))


def texts_for(session: Session, kind: MailKind, lang: str) -> Texts:
    """The officer's version for this language if there is one, else the translated default."""
    edited = find_template(session, kind, lang)
    if edited is not None:
        return Texts(edited.subject, edited.body, edited)
    return default_texts(kind, lang)


def find_template(session: Session, kind: MailKind, lang: str) -> MailTemplate | None:
    return session.scalars(
        select(MailTemplate).where(MailTemplate.kind == kind, MailTemplate.language == lang)
    ).one_or_none()


def texts_problem(kind: MailKind, subject: str | None, body: str | None) -> dict[str, str]:
    """Problems by field: empty, too long, a subject over several lines, unknown placeholders."""
    errors: dict[str, str] = {}
    placeholders = PLACEHOLDERS[kind]
    subject = (subject or "").strip()
    if not subject:
        errors["subject"] = "Bitte geben Sie einen Betreff an."
    elif "\n" in subject or "\r" in subject:
        errors["subject"] = "Der Betreff steht in einer Zeile."
    elif len(subject) > MAX_SUBJECT:
        errors["subject"] = f"Der Betreff hat höchstens {MAX_SUBJECT} Zeichen."
    else:
        problem = placeholder_problem(subject, placeholders)
        if problem:
            errors["subject"] = problem
    body = (body or "").strip()
    if not body:
        errors["body"] = "Bitte schreiben Sie den Text der E-Mail."
    elif len(body) > MAX_BODY:
        errors["body"] = f"Der Text hat höchstens {MAX_BODY} Zeichen; bitte kürzen Sie ihn."
    else:
        problem = placeholder_problem(body, placeholders)
        if problem:
            errors["body"] = problem
    return errors


def save_template(
    session: Session,
    kind: MailKind,
    lang: str,
    subject: str,
    body: str,
    *,
    actor: str,
    actor_id: int | None,
    now: datetime,
) -> bool:
    """Store the officer's version (checked); returns whether anything changed."""
    if kind not in CITIZEN_KINDS or lang not in LANGUAGES:
        raise TemplateError({"body": "Diese Vorlage gibt es nicht."})
    errors = texts_problem(kind, subject, body)
    if errors:
        raise TemplateError(errors)
    subject, body = one_line(subject), body.replace("\r\n", "\n").strip()
    template = find_template(session, kind, lang)
    current = texts_for(session, kind, lang)
    if (current.subject, current.body) == (subject, body):
        return False
    if template is None:
        template = MailTemplate(kind=kind, language=lang)
        session.add(template)
    template.subject, template.body = subject, body
    template.updated_at, template.updated_by = now, actor
    record(
        session,
        at=now,
        actor=actor,
        actor_id=actor_id,
        action="mail: template changed",
        subject=f"mail:{kind.label} ({lang})",
        changes={"subject": [current.subject, subject], "body": [current.body, body]},
    )
    session.flush()
    return True


def reset_template(
    session: Session,
    kind: MailKind,
    lang: str,
    *,
    actor: str,
    actor_id: int | None,
    now: datetime,
) -> bool:
    """Back to the translated default; returns whether there was an own version."""
    template = find_template(session, kind, lang)
    if template is None:
        return False
    record(
        session,
        at=now,
        actor=actor,
        actor_id=actor_id,
        action="mail: template reset",
        subject=f"mail:{kind.label} ({lang})",
        changes={"body": template.body},
    )
    session.delete(template)
    session.flush()
    return True


def fill(text: str, kind: MailKind, values: Mapping[str, str]) -> str:
    return text.format(**{name: values.get(name, "") for name in PLACEHOLDERS[kind]})


def compose(
    session: Session, kind: MailKind, lang: str, values: Mapping[str, str]
) -> tuple[str, str]:
    """Subject and body of one mail, filled; an own version that no longer fills falls back."""
    texts = texts_for(session, kind, lang)
    try:
        return fill(texts.subject, kind, values), fill(texts.body, kind, values)
    except (KeyError, IndexError, ValueError):
        texts = default_texts(kind, lang)
        return fill(texts.subject, kind, values), fill(texts.body, kind, values)


def long_date(day: date, lang: str) -> str:
    """``2. Dezember 2026`` in the mail's language (German where Babel does not know it)."""
    try:
        return format_date(day, "long", locale=language(lang).locale)
    except (UnknownLocaleError, ValueError):
        return format_date(day, "long", locale=LANGUAGES[DEFAULT_LANGUAGE].locale)
