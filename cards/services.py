"""Locations and cards: plain functions on a session, shared by the CLI, the views and the tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from cards.codes import new_code, normalize
from cards.models import Card, Location
from portal.vocab import Area


class CardError(ValueError):
    """A request about locations or cards that cannot be done; the message says why."""


def add_location(session: Session, code: str, name: str) -> Location:
    code = code.strip().upper()
    if not code or not name.strip():
        raise CardError("A location needs a code and a name.")
    if session.scalar(select(Location).where(Location.code == code)):
        raise CardError(f"Location {code} exists already.")
    location = Location(code=code, name=name.strip())
    session.add(location)
    session.flush()
    return location


def get_location(session: Session, code: str) -> Location:
    location = session.scalar(select(Location).where(Location.code == code.strip().upper()))
    if location is None:
        raise CardError(f"There is no location {code.strip().upper()}.")
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
) -> list[Card]:
    """Create ``count`` cards with fresh random codes; a code that is taken is drawn again."""
    if not label.strip():
        raise CardError("A card needs a label (the touchpoint, e.g. 'Empfang').")
    if not 1 <= count <= 1000:
        raise CardError("Create between 1 and 1000 cards at a time.")
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
            raise CardError(f"Not a card code: {', '.join(unknown)}")
        query = query.where(Card.code.in_(wanted))
    if not include_retired:
        query = query.where(Card.retired_at.is_(None))
    cards = session.scalars(query.order_by(Location.code, Card.label, Card.code)).all()
    if codes and len(cards) < len(set(codes)):
        missing = sorted(set(wanted) - {card.code for card in cards})
        raise CardError(f"No such (active) card: {', '.join(missing)}")
    return cards


def retire_card(session: Session, code: str, *, now: datetime) -> Card:
    card = find_card(session, code)
    if card is None:
        raise CardError(f"There is no card {code}.")
    if card.retired_at is None:
        card.retired_at = now
    return card
