"""``krm locations …`` and ``krm cards …``: the officer's tools for Meinungskarten."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import click
from flask import current_app
from flask.cli import AppGroup

from cards import qr
from cards.services import (
    SHEET_RENDERERS,
    CardError,
    add_cards,
    add_location,
    get_card,
    list_cards,
    list_locations,
    print_sheet,
    retire_card,
)
from cards.sheets import CARD_SIZES
from portal.db import utcnow
from portal.extensions import db
from portal.i18n import DEFAULT_LANGUAGE, LANGUAGES
from portal.vocab import Area

ACTOR = "krm (CLI)"
locations_cli = AppGroup("locations", help="Dienststellen (locations) that hand out cards.")
cards_cli = AppGroup("cards", help="Meinungskarten: create, list, QR codes and print sheets.")


def _fail(error: Exception) -> NoReturn:
    raise click.ClickException(str(error))


@locations_cli.command("add")
@click.argument("code")
@click.argument("name")
def locations_add(code: str, name: str) -> None:
    """Add a location with a short CODE (e.g. HST) and its NAME."""
    try:
        location = add_location(db.session, code, name, actor=ACTOR)
    except CardError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"{location.code}\t{location.name}")


@locations_cli.command("list")
def locations_list() -> None:
    """List the locations with their number of active cards."""
    for location in list_locations(db.session):
        active = sum(1 for card in location.cards if card.retired_at is None)
        click.echo(f"{location.code}\t{location.name}\t{active} active cards")


@cards_cli.command("add")
@click.option("--location", "location_code", required=True, help="Code of the location.")
@click.option("--label", required=True, help="The touchpoint, e.g. 'Empfang'.")
@click.option("--count", default=1, show_default=True, help="How many cards to create.")
@click.option("--area", type=click.Choice([area.value for area in Area]), help="Default area.")
def cards_add(location_code: str, label: str, count: int, area: str | None) -> None:
    """Create cards and print their new codes, one a line."""
    try:
        cards = add_cards(
            db.session,
            location_code,
            label,
            count=count,
            default_area=Area(area) if area else None,
            actor=ACTOR,
        )
    except CardError as error:
        _fail(error)
    db.session.commit()
    for card in cards:
        click.echo(card.code)


@cards_cli.command("list")
@click.option("--location", "location_code", help="Only the cards of this location.")
@click.option("--all", "include_retired", is_flag=True, help="Include retired cards.")
def cards_list(location_code: str | None, include_retired: bool) -> None:
    """List cards: code, location, label, URL (and when retired)."""
    base = current_app.config["PUBLIC_BASE_URL"]
    try:
        cards = list_cards(db.session, location_code=location_code, include_retired=include_retired)
    except CardError as error:
        _fail(error)
    for card in cards:
        retired = f"\tretired {card.retired_at:%Y-%m-%d}" if card.retired_at else ""
        click.echo(
            f"{card.code}\t{card.location.code}\t{card.label}\t{qr.card_url(base, card.code)}"
            f"{retired}"
        )


@cards_cli.command("retire")
@click.argument("code")
def cards_retire(code: str) -> None:
    """Stop printing a card; copies already handed out keep working."""
    try:
        card = retire_card(db.session, code, now=utcnow(), actor=ACTOR)
    except CardError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"{card.code} retired")


@cards_cli.command("qr")
@click.argument("code")
@click.option("--format", "kind", type=click.Choice(["svg", "png"]), default="svg")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def cards_qr(code: str, kind: str, out: Path) -> None:
    """Write the QR code of card CODE as SVG or PNG."""
    try:
        card = get_card(db.session, code)
    except CardError as error:
        _fail(error)
    url = qr.card_url(current_app.config["PUBLIC_BASE_URL"], card.code)
    if kind == "svg":
        out.write_text(qr.svg(url), encoding="utf-8")
    else:
        out.write_bytes(qr.png(url))
    click.echo(f"{out}: {url}")


@cards_cli.command("sheet")
@click.option("--location", "location_code", help="Only the cards of this location.")
@click.option("--card", "codes", multiple=True, help="Only this card; repeat for more.")
@click.option(
    "--size",
    "card_size",
    type=click.Choice(list(CARD_SIZES), case_sensitive=False),
    help="Size of one card (default: the CARD_SIZE setting).",
)
@click.option(
    "--language",
    type=click.Choice([code for code in LANGUAGES if code != DEFAULT_LANGUAGE]),
    help="A second language on every card, below each German text.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The file to write: .pdf or .html.",
)
def cards_sheet(
    location_code: str | None,
    codes: tuple[str, ...],
    card_size: str | None,
    language: str | None,
    out: Path,
) -> None:
    """Write print sheets of the active cards: A4 pages to cut apart, as PDF or HTML."""
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in SHEET_RENDERERS:
        raise click.ClickException(f"{out}: the file must end in .pdf or .html.")
    try:
        sheet = print_sheet(
            db.session,
            fmt,
            location_code=location_code,
            codes=codes,
            card_size=card_size or current_app.config["CARD_SIZE"],
            base_url=current_app.config["PUBLIC_BASE_URL"],
            jobcenter_name=current_app.config["JOBCENTER_NAME"],
            language=language,
        )
    except CardError as error:
        _fail(error)
    if isinstance(sheet.content, bytes):
        out.write_bytes(sheet.content)
    else:
        out.write_text(sheet.content, encoding="utf-8")
    click.echo(f"{out}: {_count(sheet.cards, 'card')} on {_count(sheet.pages, 'page')}")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
