"""Card codes: 5 characters of Crockford base32, random: neither guessable nor sequential.

Crockford's alphabet leaves out I, L, O and U, so a code read aloud or typed from a worn card is
unambiguous; ``normalize`` maps the look-alikes back (O→0, I/L→1) and ignores case and hyphens.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 5
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize(code: str) -> str | None:
    """The canonical form of a typed or scanned code, or None if it cannot be a card code."""
    cleaned = code.strip().upper().replace("-", "").replace(" ", "").translate(_LOOKALIKES)
    if len(cleaned) != LENGTH or any(char not in ALPHABET for char in cleaned):
        return None
    return cleaned
