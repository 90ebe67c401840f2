"""Clean-up of text typed into forms, before it is validated, masked and stored."""

from __future__ import annotations

import re
import unicodedata

# Control characters other than tab and newline, plus lone surrogates from broken encodings.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_SPACE = re.compile(r"\s+")


def clean_text(raw: str | None) -> str | None:
    """NFC-normalised text with one newline style and no control characters; None if blank.

    Browsers send a textarea's line breaks as CRLF; counting them as one character each keeps the
    length limit the same as what the person sees.
    """
    if raw is None:
        return None
    text = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text).strip()
    return text or None


def fingerprint_text(text: str) -> str:
    """The text reduced to what makes it the same message: case and spacing do not count."""
    return _SPACE.sub(" ", text.casefold()).strip()
