"""The KRM vocabulary: stored values (stable, ASCII) and their German display labels, in one place.

Public labels are translated (lazy gettext); the officer's labels are the register's German words.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from flask_babel import lazy_gettext as _l


class Vocabulary(StrEnum):
    """A StrEnum whose members carry a display label: ``Member("value", "Label")``."""

    def __new__(cls, value: str, label: str) -> Vocabulary:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls]

    @classmethod
    def lookup(cls, value: object) -> Self | None:
        """The member for a stored or submitted value; None for empty or unknown values."""
        try:
            return cls(value) if value else None
        except ValueError:
            return None


class Channel(Vocabulary):
    """Zugangsweg, as the case register counts it."""

    EMAIL = "email", "E-Mail"
    PHONE = "telefon", "Telefon"
    LETTER = "schriftlich", "schriftlich"
    IN_PERSON = "persoenlich", "persönlich"
    HOMEPAGE = "homepage", "Onlineportal / Homepage"
    SOCIAL_MEDIA = "soziale_medien", "soziale Medien (Google)"
    CARD_QR = "meinungskarte_qr", "Meinungskarte (QR)"
    CARD_PAPER = "meinungskarte_papier", "Meinungskarte (Papier)"


class Kind(Vocabulary):
    """What the citizen says their feedback is (the officer classifies the Anliegensart later)."""

    PRAISE = "lob", _l("Lob")
    SUGGESTION = "anregung", _l("Anregung")
    CRITICISM = "kritik", _l("Kritik")


class Area(Vocabulary):
    """Bereich; the labels are the words a citizen understands, the values the register's areas."""

    BENEFITS = "leistung", _l("Geldleistungen (Bürgergeld, Grundsicherung)")
    PLACEMENT = "vermittlung", _l("Arbeitsvermittlung und Beratung zu Arbeit")
    MUNICIPAL = "kommunal", _l("Miete, Heizung, Umzug, Erstausstattung")
    STAFF = "mitarbeiter", _l("Verhalten von Mitarbeitenden")
    ORGANISATION = "organisation", _l("Organisation: Wartezeit, Telefon, Räume, Online-Angebote")


class Status(Vocabulary):
    NEW = "neu", "neu"
    IN_PROGRESS = "in_bearbeitung", "in Bearbeitung"
    DONE = "erledigt", "erledigt"
    SPAM = "spam", "Spam"


# The 1–5 smiley scale in words, as the form and the printed card show it: (value, label).
RATINGS = (
    ("1", _l("sehr unzufrieden")),
    ("2", _l("unzufrieden")),
    ("3", _l("teils, teils")),
    ("4", _l("zufrieden")),
    ("5", _l("sehr zufrieden")),
)


# The register's words for areas, where the citizen-facing labels above differ.
AREA_REGISTER_LABELS = {
    Area.BENEFITS: "Leistungsbereich / Grundsicherung",
    Area.PLACEMENT: "Arbeitsvermittlung",
    Area.MUNICIPAL: "Kommunale Leistungen",
    Area.STAFF: "Mitarbeiterverhalten",
    Area.ORGANISATION: "Organisation gesamt",
}


class ConcernKind(Vocabulary):
    """Anliegensart, as the central register counts it."""

    PRAISE = "lob", "Lob"
    IDEA = "idee_anregung", "Idee/Anregung"
    COMPLAINT = "fachliche_beschwerde", "Fachliche Beschwerde"
    SUPERVISORY = "fachaufsichtsbeschwerde", "Fachaufsichtsbeschwerde"
    CONDUCT = "dienstaufsichtsbeschwerde", "Dienstaufsichtsbeschwerde"
    PETITION = "petition", "Petition"
    SUBMISSION = "eingabe", "Eingabe"
    FOLLOW_UP = "folgereaktion", "Folgereaktion"

    @property
    def is_complaint(self) -> bool:
        """Complaints get a Bewertung (begründet / unbegründet / nicht bewertbar)."""
        return self in COMPLAINT_KINDS


COMPLAINT_KINDS = frozenset({ConcernKind.COMPLAINT, ConcernKind.SUPERVISORY, ConcernKind.CONDUCT})


class Assessment(Vocabulary):
    """Bewertung of a complaint."""

    JUSTIFIED = "begruendet", "begründet"
    UNJUSTIFIED = "unbegruendet", "unbegründet"
    NOT_ASSESSABLE = "nicht_bewertbar", "nicht bewertbar"


class Role(Vocabulary):
    KRM = "krm", "KRM-Beauftragte*r"
    TEAM = "team", "Teamleitung"
    READ = "read", "nur Berichte"


OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS)

# Themen the reports name; the officer can add more (they live in the `topic` table).
DEFAULT_TOPICS = (
    "Bearbeitungsdauer",
    "Höhe der Leistungen",
    "Beratung",
    "Zustimmung zum Umzug",
    "fachliche Kompetenz",
    "Erreichbarkeit",
    "Anforderung von Unterlagen",
    "Bescheide",
    "Anrechnung von Einkommen",
    "Zuweisung zu Maßnahmen",
    "Sanktionen",
    "Wechsel der Vermittlungsfachkraft",
    "Wartezeit",
    "Freundlichkeit",
)


class MailKind(Vocabulary):
    """What a message in the outbox is."""

    ACKNOWLEDGEMENT = "eingangsbestaetigung", "Eingangsbestätigung"
    INTERIM = "zwischennachricht", "Zwischennachricht"
    DIGEST = "tagesuebersicht", "Tagesübersicht"


class MailStatus(Vocabulary):
    PENDING = "wartet", "wartet auf Versand"
    SENT = "gesendet", "gesendet"
    FAILED = "fehlgeschlagen", "fehlgeschlagen"
    CANCELLED = "verworfen", "verworfen"
