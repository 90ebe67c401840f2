"""The audit log in the officer's words: what happened, to which field, from what to what."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from portal.audit import AuditEvent
from portal.deadlines import local_time
from portal.privacy import LABELS
from portal.vocab import AREA_REGISTER_LABELS, Area, Assessment, ConcernKind, Role, Status

ACTION_WORDS = {
    "entry updated": "geändert",
    "acknowledged": "Eingang bestätigt",
    "note added": "Notiz hinzugefügt",
    "paper card captured": "Papierkarte erfasst",
    "paper card scanned": "aus Scan erfasst",
    "scanned card discarded": "gescannte Karte verworfen",
    "scans purged": "alte Scans gelöscht",
    "bulk: spam": "Sammelaktion: als Spam markiert",
    "bulk: lob": "Sammelaktion: Lob weitergegeben und erledigt",
    "bulk: team": "Sammelaktion: Team zugewiesen",
    "signed in": "angemeldet",
    "sign-in failed": "Anmeldung fehlgeschlagen",
    "signed out": "abgemeldet",
    "user added": "Konto angelegt",
    "password reset": "Passwort neu gesetzt",
    "user activated": "Konto aktiviert",
    "user deactivated": "Konto deaktiviert",
    "team added": "Team angelegt",
    "team activated": "Team aktiviert",
    "team deactivated": "Team deaktiviert",
    "topic added": "Thema angelegt",
    "topic activated": "Thema aktiviert",
    "topic deactivated": "Thema deaktiviert",
    "location added": "Dienststelle angelegt",
    "cards added": "Karten angelegt",
    "card retired": "Karte stillgelegt",
    "export layout changed": "Exportspalten geändert",
    "export layout reset": "Exportspalten auf den Standard zurückgesetzt",
    "surveys imported": "Kundenbefragung importiert",
    "google: review edited": "Google-Rezension bei Google geändert",
    "google: review removed": "Google-Rezension bei Google entfernt",
    "google: review restored": "Google-Rezension wieder bei Google gelistet",
    "google: reply draft saved": "Antwortentwurf gespeichert",
    "google: reply draft discarded": "Antwortentwurf verworfen",
    "google: reply published": "Antwort bei Google veröffentlicht",
    "google: reply updated": "Antwort bei Google geändert",
    "google: reply deleted": "Antwort bei Google gelöscht",
    "google: reply failed": "Antwort nicht veröffentlicht (Fehler bei Google)",
    "google: reply delete failed": "Antwort nicht gelöscht (Fehler bei Google)",
    "google: template added": "Textbaustein angelegt",
    "google: template changed": "Textbaustein geändert",
    "google: template deleted": "Textbaustein gelöscht",
    "entries purged": "Aufbewahrungsfrist: Texte und Kontaktdaten gelöscht",
    "privacy: texts masked again": "Gespeicherte Texte nach den aktuellen Regeln maskiert",
    "acknowledged by mail": "Eingangsbestätigung per E-Mail gesendet",
    "interim reply queued": "Zwischennachricht zum Versand gegeben",
    "interim reply sent": "Zwischennachricht per E-Mail gesendet",
    "mail: template changed": "E-Mail-Vorlage geändert",
    "mail: template reset": "E-Mail-Vorlage auf den Standardtext zurückgesetzt",
    "mail: retry": "E-Mail erneut zum Versand gegeben",
    "mail: discarded": "E-Mail verworfen",
}
FIELD_WORDS = {
    "concerns": "Anliegen",
    "status": "Status",
    "closed_at": "Erledigt am",
    "ombudsstelle": "Ombudsstelle",
    "team": "Team",
    "acknowledged_at": "Eingang bestätigt am",
    "note": "Notiz",
    "rating": "Bewertung",
    "active": "aktiv",
    "role": "Rolle",
    "name": "Name",
    "label": "Kontaktpunkt",
    "default_area": "Bereich",
    "codes": "Codes",
    "card": "Karte",
    "location": "Dienststelle",
    "received_on": "Eingangsdatum",
    "columns": "Spalten",
    "rows": "Zeilen",
    "replaced": "ersetzt",
    "removed": "entfernt",
    "changed": "neu oder geändert",
    "entries": "Einträge",
    "texts": "Texte",
    "contacts": "Kontaktdaten",
    "notes": "Notizen",
    "google_reviews": "Google-Rezensionen (Name, Entwurf)",
    "months": "Frist in Monaten",
    "cutoff": "abgeschlossen vor",
    "interim_sent_at": "Zwischennachricht gesendet am",
    "reason": "Grund",
    "grund": "Grund",
    "until": "Antwort voraussichtlich bis",
    "close_by": "Abschlussfrist",
    "close_by_kept": "Abschlussfrist nicht verschoben, schon abgelaufen am",
    "datum": "Antwort voraussichtlich bis",
    "subject": "Betreff",
    "body": "Text",
    "kind": "Art",
    "checked": "Texte geprüft",
    "remasked": "Texte neu maskiert",
}
# krm privacy remask counts what it removed per kind of personal data (admin.retention.remask).
FIELD_WORDS |= {kind: label for kind, label in LABELS.items() if kind not in FIELD_WORDS}
# What the subject's prefix means ("card:7QX2M" is "Karte 7QX2M").
SUBJECT_WORDS = {
    "user": "Konto",
    "team": "Team",
    "topic": "Thema",
    "location": "Dienststelle",
    "card": "Karte",
    "mail": "E-Mail",
}


@dataclass(frozen=True)
class HistoryLine:
    at: str
    actor: str
    action: str
    subject: str
    changes: list[tuple[str, str, str]]  # (field, old, new) in words
    details: list[tuple[str, str]]  # (field, value) in words: what an action recorded besides


def history_lines(events: Iterable[AuditEvent]) -> list[HistoryLine]:
    lines = []
    for event in events:
        details = event.details
        changes = _pairs(details)
        lines.append(
            HistoryLine(
                at=local_time(event.at),
                actor=event.actor,
                action=ACTION_WORDS.get(event.action, event.action),
                subject=subject_words(event.subject),
                changes=[
                    (FIELD_WORDS.get(name, name), _words(name, old), _words(name, new))
                    for name, (old, new) in changes
                ],
                details=[
                    (FIELD_WORDS.get(name, name), _words(name, value))
                    for name, value in details.items()
                    if name not in dict(changes)
                ],
            )
        )
    return lines


def subject_words(subject: str | None) -> str:
    kind, _, name = (subject or "").partition(":")
    return f"{SUBJECT_WORDS[kind]} {name}" if kind in SUBJECT_WORDS and name else subject or ""


def _pairs(details: dict[str, Any]) -> list[tuple[str, tuple[Any, Any]]]:
    """The ``{"field": [old, new]}`` entries: changes; a list of codes is a detail."""
    return [
        (name, (value[0], value[1]))
        for name, value in details.items()
        if isinstance(value, list) and len(value) == 2 and name != "codes"
    ]


def _words(name: str, value: Any) -> str:
    if value is None or value == []:
        return "keine" if name == "concerns" else "–"
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if name == "status":
        return _label(Status, value)
    if name == "role":
        return _label(Role, value)
    if name == "default_area":
        area = Area.lookup(value)
        return AREA_REGISTER_LABELS[area] if area else str(value)
    if name == "concerns" and isinstance(value, list):
        return "; ".join(_concern_text(item) for item in value)
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if name in ("until", "close_by", "close_by_kept"):
        try:
            return f"{date.fromisoformat(value):%d.%m.%Y}"
        except (TypeError, ValueError):
            return str(value)
    if name.endswith("_at") or name == "cutoff":
        try:
            return local_time(datetime.fromisoformat(value))
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def _concern_text(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    area = Area.lookup(item.get("area"))
    parts = [
        _label(ConcernKind, item.get("kind")),
        AREA_REGISTER_LABELS[area] if area else None,
        item.get("topic"),
        _label(Assessment, item.get("assessment")) if item.get("assessment") else None,
    ]
    return ", ".join(part for part in parts if part)


def _label(vocabulary, value) -> str:
    member = vocabulary.lookup(value)
    return str(member.label) if member else str(value)
