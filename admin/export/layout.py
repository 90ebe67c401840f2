"""The export's columns: what the register can take, the default layout, the officer's mapping.

The officer may rename, reorder and leave out columns. The mapping is stored in ``export_column``;
an empty table is the documented default (``docs/export.md``), so "reset" deletes the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from admin.export.models import ExportColumn
from portal.audit import record

MAX_HEADER = 120
# Characters a spreadsheet reads as the start of a formula (see admin.export.neutralise).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _concern_fields() -> dict[str, str]:
    fields = {}
    for number in (1, 2, 3):
        fields[f"concern{number}_kind"] = f"Anliegen {number} Anliegensart"
        fields[f"concern{number}_area"] = f"Anliegen {number} Bereich"
        fields[f"concern{number}_topic"] = f"Anliegen {number} Thema"
        fields[f"concern{number}_assessment"] = f"Anliegen {number} Bewertung"
    return fields


# Every field the export can write, with its default header, in the default order.
FIELDS: dict[str, str] = {
    "received": "Eingangsdatum",
    "channel": "Zugangsweg",
    "location": "Dienststelle",
    "card": "Karte",
    "rating": "Bewertung (Smiley 1–5)",
    "kind": "Art laut Kunde",
    **_concern_fields(),
    "text": "Text",
    "status": "Status",
    "closed": "Erledigt am",
    "ombudsstelle": "Ombudsstelle",
    "team": "Team",
    "id": "ID",
}


@dataclass(frozen=True)
class Column:
    field: str
    header: str

    def __str__(self) -> str:
        return (
            self.header
            if self.header == FIELDS.get(self.field)
            else f"{self.header} [{self.field}]"
        )


DEFAULT_LAYOUT: tuple[Column, ...] = tuple(Column(key, header) for key, header in FIELDS.items())


class LayoutError(ValueError):
    """A mapping that cannot be saved; the message (German) says why."""


def current_layout(session: Session) -> list[Column]:
    """The officer's mapping, or the default when there is none."""
    rows = session.scalars(select(ExportColumn).order_by(ExportColumn.position)).all()
    columns = [Column(row.field, row.header) for row in rows if row.field in FIELDS]
    return columns or list(DEFAULT_LAYOUT)


def is_default(session: Session) -> bool:
    return session.scalar(select(ExportColumn.id).limit(1)) is None


def layout_problems(columns: Sequence[Column]) -> list[tuple[str | None, str]]:
    """(field, German message) for every problem; field None where no one column is at fault."""
    if not columns:
        return [(None, "Bitte behalten Sie mindestens eine Spalte im Export.")]
    problems: list[tuple[str | None, str]] = []
    seen_fields: set[str] = set()
    seen_headers: set[str] = set()
    for column in columns:
        if column.field not in FIELDS or column.field in seen_fields:
            problems.append((None, "Diese Spaltenzuordnung ist ungültig; bitte laden Sie neu."))
            continue
        seen_fields.add(column.field)
        header = column.header
        if not header:
            message = f"Bitte geben Sie der Spalte „{FIELDS[column.field]}“ einen Namen."
        elif len(header) > MAX_HEADER:
            message = f"Spaltennamen haben höchstens {MAX_HEADER} Zeichen."
        elif header.startswith(FORMULA_STARTS):
            message = f"Der Spaltenname „{header}“ darf nicht mit =, +, -, @ beginnen."
        elif header.casefold() in seen_headers:
            message = f"Der Spaltenname „{header}“ kommt zweimal vor."
        else:
            seen_headers.add(header.casefold())
            continue
        problems.append((column.field, message))
    return problems


def save_layout(
    session: Session,
    columns: Sequence[Column],
    *,
    actor: str,
    actor_id: int | None,
    now: datetime,
) -> bool:
    """Store the mapping in the given order; False (and nothing written) if nothing changed."""
    problems = layout_problems(columns)
    if problems:
        raise LayoutError(problems[0][1])
    wanted = list(columns)
    if wanted == list(DEFAULT_LAYOUT):  # the default is stored as no rows at all
        return reset_layout(session, actor=actor, actor_id=actor_id, now=now)
    before = current_layout(session)
    if wanted == before:
        return False
    session.execute(delete(ExportColumn))
    session.flush()  # the unique positions and fields are free again before the new rows
    session.add_all(
        ExportColumn(position=position, field=column.field, header=column.header)
        for position, column in enumerate(wanted, start=1)
    )
    _record(session, before, wanted, "export layout changed", actor, actor_id, now)
    return True


def reset_layout(session: Session, *, actor: str, actor_id: int | None, now: datetime) -> bool:
    """Back to the documented default; False if it was the default already."""
    if is_default(session):
        return False
    before = current_layout(session)
    session.execute(delete(ExportColumn))
    _record(session, before, list(DEFAULT_LAYOUT), "export layout reset", actor, actor_id, now)
    return True


def _record(
    session: Session,
    before: list[Column],
    after: list[Column],
    action: str,
    actor: str,
    actor_id: int | None,
    now: datetime,
) -> None:
    record(
        session,
        at=now,
        actor=actor,
        actor_id=actor_id,
        action=action,
        subject="Exportspalten",
        changes={"columns": [[str(c) for c in before], [str(c) for c in after]]},
    )
