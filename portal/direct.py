"""A transaction straight on the driver's connection, for the collector's hot path.

Storing a submission is well under a millisecond of database work, and SQLAlchemy's session,
pool checkout and per-statement execution around it cost more than the work itself
(bench/findings.md). ``Direct`` takes a connection from the engine's own pool, so the pragmas,
the writer turns and the durability of ``portal.db`` are the same, and runs Core statements on
its DB-API cursor: each statement is compiled once per dialect and set of columns, and its
values pass through the same bind processors SQLAlchemy applies (aware datetimes to naive UTC
text on SQLite, vocabularies to their values, booleans to integers). The services written for a
``Session`` run on it unchanged: it offers the part of the session's interface they use
(``execute``, ``scalar``, ``connection``, ``get_bind``, ``commit``, ``rollback``).

Rows come back as the driver returns them, with no result processing: it is meant for ids and
counts, not for reading datetimes or vocabularies.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement

Values = Mapping[str, Any]


@dataclass(frozen=True)
class _Slot:
    """One parameter of a compiled statement: where its value comes from, how it is bound."""

    key: str  # the key of ``values`` that gives it
    fixed: Any  # the value written into the statement (a LIMIT), if it is not given
    required: bool
    default: Callable[[], Any] | None  # a column's Python default, if it is not given
    processor: Callable[[Any], Any] | None

    def value(self, values: Values) -> Any:
        if self.key in values:
            value = values[self.key]
        elif self.default is not None:
            value = self.default()
        elif self.required:
            raise ValueError(f"a value is required for the parameter {self.key!r}")
        else:
            value = self.fixed
        return value if self.processor is None else self.processor(value)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positional: bool
    names: tuple[str, ...]  # every parameter, in the statement's order
    slots: tuple[_Slot, ...]  # the same order

    @classmethod
    def of(cls, statement: ClauseElement, dialect: Dialect, keys: Sequence[str]) -> _Compiled:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("Direct cannot run statements with expanding parameters")
        defaults = {}
        for column in getattr(compiled, "insert_prefetch", ()):
            default = column.default
            if default is None or not (default.is_scalar or default.is_callable):
                raise ValueError(f"give {column.key} a value: its default is not a plain one")
            defaults[column.key] = (
                (lambda value=default.arg: value)
                if default.is_scalar
                else partial(default.arg, None)
            )
        binds = {name: bind for bind, name in compiled.bind_names.items()}
        names = tuple(compiled.positiontup or binds)
        slots = []
        for name in names:
            bind = binds[name]
            if bind.callable is not None:
                raise ValueError("Direct cannot run statements with callable parameters")
            slots.append(
                _Slot(
                    key=bind.key,
                    fixed=bind.value,
                    required=bind.required,
                    default=defaults.get(bind.key),
                    processor=bind.type.dialect_impl(dialect).bind_processor(dialect),
                )
            )
        return cls(compiled.string, compiled.positional, names, tuple(slots))

    def parameters(self, values: Values) -> tuple[Any, ...] | dict[str, Any]:
        given = tuple(slot.value(values) for slot in self.slots)
        return given if self.positional else dict(zip(self.names, given, strict=True))


class Result:
    """The cursor after a statement: the few readers the services use."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def first(self) -> tuple[Any, ...] | None:
        return self._cursor.fetchone() if self._cursor.description else None

    def scalar(self) -> Any:
        row = self.first()
        return None if row is None else row[0]

    def scalar_one(self) -> Any:
        row = self.first()
        if row is None:
            raise LookupError("the statement returned no row")
        return row[0]


# Per statement object (held weakly: a statement built for one call leaves with it), per
# dialect and set of columns given.
_COMPILED: weakref.WeakKeyDictionary[ClauseElement, dict[tuple, _Compiled]] = (
    weakref.WeakKeyDictionary()
)


def _compiled(statement: ClauseElement, dialect: Dialect, keys: Sequence[str]) -> _Compiled:
    forms = _COMPILED.setdefault(statement, {})
    key = (dialect.name, tuple(keys))
    found = forms.get(key)
    if found is None:
        found = forms[key] = _Compiled.of(statement, dialect, keys)
    return found


class Direct:
    """One transaction on a DB-API connection of ``engine``'s pool (use it with ``with``).

    Nothing is written until ``commit``; leaving the ``with`` block rolls back what was not
    committed and returns the connection to the pool.
    """

    def __init__(self, engine: Engine) -> None:
        self.dialect = engine.dialect
        self._held = engine.dialect.name == "sqlite"
        self._connection = _held_connection(engine) if self._held else engine.raw_connection()
        self._cursor = self._connection.cursor()

    def execute(
        self, statement: ClauseElement, values: Values | Sequence[Values] | None = None
    ) -> Result:
        """Run ``statement`` with ``values``, or once per row for a list of rows."""
        if values is None or isinstance(values, Mapping):
            values = values or {}
            compiled = _compiled(statement, self.dialect, list(values))
            self._cursor.execute(compiled.sql, compiled.parameters(values))
        else:
            if not values:
                return Result(self._cursor)
            compiled = _compiled(statement, self.dialect, list(values[0]))
            self._cursor.executemany(compiled.sql, [compiled.parameters(row) for row in values])
        return Result(self._cursor)

    def scalar(self, statement: ClauseElement, values: Values | None = None) -> Any:
        return self.execute(statement, values).scalar()

    def connection(self) -> Direct:
        """As ``Session.connection()``: the statements run here."""
        return self

    def get_bind(self) -> Direct:
        """As ``Session.get_bind()``: what knows the dialect."""
        return self

    def commit(self) -> None:
        self._connection.commit()

    def rollback(self) -> None:
        self._connection.rollback()

    def close(self) -> None:
        try:
            self._cursor.close()
        finally:
            if self._held:
                self._connection.rollback()  # what was not committed; kept for the next one
            else:
                self._connection.close()  # back to the pool, which rolls back what is left

    def __enter__(self) -> Direct:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_HELD = threading.local()


def _held_connection(engine: Engine) -> Any:
    """SQLite: this thread's connection of ``engine``'s pool, kept out of it between
    transactions (a checkout and check-in cost a tenth of a submission; a SQLite file needs no
    liveness check). One per thread: another engine, a new pool (``engine.dispose()``) or a
    forked worker returns it and takes a new one.
    """
    held = getattr(_HELD, "connection", None)
    if held is not None:
        owner, pool, pid, connection = held
        if owner is engine and pool is engine.pool and pid == os.getpid():
            return connection
        _HELD.connection = None
        if pid == os.getpid():
            connection.close()
    connection = engine.raw_connection()
    _HELD.connection = (engine, engine.pool, os.getpid(), connection)
    return connection
