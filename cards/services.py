"""Locations and cards: plain functions on a session, shared by the CLI, the views and the tests."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from cards.codes import new_code, normalize
from cards.models import Card, Location
from cards.sheets import CARD_SIZES, SheetError, page_layout, sheet_html, sheet_pdf
from portal.audit import record
from portal.db import utcnow
from portal.i18n import DEFAULT_LANGUAGE, LANGUAGES
from portal.vocab import Area

MAX_CARDS = 1000  # at a time


class CardError(ValueError):
    """A request about locations or cards that cannot be done.

    ``str(error)`` is the English message of the CLI; ``error.german`` the officer's.
    """

    def __init__(self, message: str, german: str) -> None:
        super().__init__(message)
        self.german = german


def add_location(
    session: Session, code: str, name: str, *, actor: str | None = None, actor_id: int | None = None
) -> Location:
    """A new location; with an ``actor``, the change is written to the audit log."""
    code = code.strip().upper()
    if not code or not name.strip():
        raise CardError(
            "A location needs a code and a name.", "Eine Dienststelle braucht Kürzel und Namen."
        )
    if session.scalar(select(Location).where(Location.code == code)):
        raise CardError(
            f"Location {code} exists already.",
            f"Eine Dienststelle mit dem Kürzel {code} gibt es schon.",
        )
    location = Location(code=code, name=name.strip())
    session.add(location)
    session.flush()
    _audit(session, actor, actor_id, "location added", f"location:{code}", {"name": location.name})
    return location


def get_location(session: Session, code: str) -> Location:
    location = session.scalar(select(Location).where(Location.code == code.strip().upper()))
    if location is None:
        code = code.strip().upper()
        raise CardError(f"There is no location {code}.", f"Die Dienststelle {code} gibt es nicht.")
    return location


def list_locations(session: Session) -> Sequence[Location]:
    return session.scalars(select(Location).order_by(Location.code)).all()


def add_cards(
    session: Session,
    location_code: str,
    label: str,
    *,
    count: int = 1,
    default_area: Area | None = None,
    actor: str | None = None,
    actor_id: int | None = None,
) -> list[Card]:
    """Create ``count`` cards with fresh random codes; a code that is taken is drawn again."""
    if not label.strip():
        raise CardError(
            "A card needs a label (the touchpoint, e.g. 'Empfang').",
            "Bitte geben Sie an, wo die Karten ausliegen, zum Beispiel „Empfang“.",
        )
    if not 1 <= count <= MAX_CARDS:
        raise CardError(
            f"Create between 1 and {MAX_CARDS} cards at a time.",
            f"Bitte eine Anzahl von 1 bis {MAX_CARDS}.",
        )
    location = get_location(session, location_code)
    codes: set[str] = set()
    while len(codes) < count:
        code = new_code()
        if code not in codes and session.scalar(select(Card.id).where(Card.code == code)) is None:
            codes.add(code)
    cards = [
        Card(code=code, label=label.strip(), default_area=default_area, location=location)
        for code in sorted(codes)
    ]
    session.add_all(cards)
    session.flush()
    changes = {
        "label": label.strip(),
        "default_area": default_area.value if default_area else None,
        "codes": sorted(codes),
    }
    _audit(session, actor, actor_id, "cards added", f"location:{location.code}", changes)
    return cards


def find_card(session: Session, code: str) -> Card | None:
    """The card with this code, retired or not (old printed cards keep working)."""
    canonical = normalize(code)
    if canonical is None:
        return None
    return session.scalar(
        select(Card).options(joinedload(Card.location)).where(Card.code == canonical)
    )


def list_cards(
    session: Session,
    *,
    location_code: str | None = None,
    codes: Sequence[str] = (),
    include_retired: bool = False,
) -> Sequence[Card]:
    query = select(Card).options(joinedload(Card.location)).join(Card.location)
    if location_code:
        query = query.where(Card.location_id == get_location(session, location_code).id)
    if codes:
        wanted = [normalize(code) for code in codes]
        unknown = [code for code, canonical in zip(codes, wanted, strict=True) if not canonical]
        if unknown:
            listed = ", ".join(unknown)
            raise CardError(f"Not a card code: {listed}", f"Kein gültiger Kartencode: {listed}")
        query = query.where(Card.code.in_(wanted))
    if not include_retired:
        query = query.where(Card.retired_at.is_(None))
    cards = session.scalars(query.order_by(Location.code, Card.label, Card.code)).all()
    if codes and len(cards) < len(set(codes)):
        missing = sorted(set(wanted) - {card.code for card in cards})
        listed = ", ".join(missing)
        raise CardError(
            f"No such (active) card: {listed}",
            f"Diese Karten gibt es nicht oder sie sind stillgelegt: {listed}",
        )
    return cards


def get_card(session: Session, code: str) -> Card:
    card = find_card(session, code)
    if card is None:
        raise CardError(f"There is no card {code}.", f"Die Karte {code} gibt es nicht.")
    return card


def retire_card(
    session: Session,
    code: str,
    *,
    now: datetime,
    actor: str | None = None,
    actor_id: int | None = None,
) -> Card:
    """Stop printing a card; copies already handed out keep working. A no-op if retired."""
    card = get_card(session, code)
    if card.retired_at is None:
        card.retired_at = now
        changes = {"location": card.location.code, "label": card.label}
        _audit(session, actor, actor_id, "card retired", f"card:{card.code}", changes, now)
    return card


@dataclass(frozen=True)
class Sheet:
    content: str | bytes  # HTML text or PDF bytes
    cards: int
    pages: int


SHEET_RENDERERS = {"pdf": sheet_pdf, "html": sheet_html}


def print_sheet(
    session: Session,
    fmt: str,
    *,
    location_code: str | None = None,
    codes: Sequence[str] = (),
    card_size: str,
    base_url: str,
    jobcenter_name: str,
    language: str | None = None,
) -> Sheet:
    """Print sheets (``pdf`` or ``html``) of the active cards of a location, of some cards, or
    of all locations; A4 pages to cut apart, each card in German and, if ``language`` is given,
    in that language too. Needs an app context (templates, static files, settings)."""
    size = card_size.strip().upper()
    if size not in CARD_SIZES:
        sizes = ", ".join(CARD_SIZES)
        raise CardError(
            f"Unknown card size {card_size!r}: use one of {sizes}.",
            f"Die Kartengröße „{card_size}“ gibt es nicht: {sizes}.",
        )
    if language and language != DEFAULT_LANGUAGE and language not in LANGUAGES:
        known = ", ".join(code for code in LANGUAGES if code != DEFAULT_LANGUAGE)
        raise CardError(
            f"Unknown language {language!r}: use one of {known}.",
            f"Die Sprache „{language}“ gibt es nicht: {known}.",
        )
    cards = list_cards(session, location_code=location_code, codes=codes)
    if not cards:
        raise CardError(
            "There are no active cards to print.", "Es gibt keine aktiven Karten zum Drucken."
        )
    render = SHEET_RENDERERS[fmt]
    try:
        content = render(
            cards,
            base_url=base_url,
            jobcenter_name=jobcenter_name,
            card_size=size,
            language=language,
        )
    except SheetError as error:
        raise CardError(
            str(error),
            "Der Druckbogen in zwei Sprachen braucht die Schrift DejaVu Sans, die auf diesem "
            "Server fehlt. Bitte wenden Sie sich an die Administration.",
        ) from error
    pages = math.ceil(len(cards) / page_layout(size).per_page)
    return Sheet(content, len(cards), pages)


def _audit(
    session: Session,
    actor: str | None,
    actor_id: int | None,
    action: str,
    subject: str,
    changes: dict,
    now: datetime | None = None,
) -> None:
    if actor is not None:
        record(
            session,
            at=now or utcnow(),
            actor=actor,
            actor_id=actor_id,
            action=action,
            subject=subject,
            changes=changes,
        )
