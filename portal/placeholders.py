"""Texts with placeholders in braces (``{jobcenter}``): the officer's templates, checked once here.

Google reply templates and the e-mail templates use the same rules: a placeholder is a known name
in single braces, without format specs; a literal brace is doubled.
"""

from __future__ import annotations

import string
from collections.abc import Mapping


def placeholder_problem(text: str, placeholders: Mapping[str, str]) -> str | None:
    """Why ``text`` cannot be filled with ``placeholders``, in German; None if it can."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        return (
            "Eine geschweifte Klammer ist nicht geschlossen oder steht allein. Platzhalter "
            "schreiben Sie so: {name}; eine Klammer als Zeichen verdoppeln Sie: {{ oder }}."
        )
    known = ", ".join("{" + name + "}" for name in placeholders)
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in placeholders:
            shown = "{" + name + "}"
            return f"Den Platzhalter {shown} gibt es nicht. Möglich sind: {known}."
        if spec or conversion:
            return (
                f"Platzhalter stehen ohne Zusätze in geschweiften Klammern. Möglich sind: {known}."
            )
    return None
