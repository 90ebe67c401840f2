"""QR codes of cards with segno: the card's URL as SVG (for print sheets) and PNG."""

from __future__ import annotations

import io

import segno


def card_url(base_url: str, code: str) -> str:
    """``<PUBLIC_BASE_URL>/k/<CODE>/``: short, and the code is upper-case Crockford base32."""
    return f"{base_url.rstrip('/')}/k/{code}/"


def qr_code(url: str) -> segno.QRCode:
    """Error correction M at least, raised where it fits the same size: survives a worn card."""
    return segno.make_qr(url, error="m", boost_error=True)


def svg(url: str, *, title: str | None = None) -> str:
    """An inline SVG that scales with its box (no fixed size), for HTML sheets."""
    buffer = io.BytesIO()
    qr_code(url).save(
        buffer,
        kind="svg",
        xmldecl=False,
        svgns=True,
        omitsize=True,
        border=4,
        title=title or url,
        svgclass="qr",
        lineclass=None,
    )
    return buffer.getvalue().decode()


def png(url: str, *, scale: int = 10) -> bytes:
    buffer = io.BytesIO()
    qr_code(url).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def matrix(url: str) -> tuple[tuple[bool, ...], ...]:
    """Dark modules row by row, without the quiet zone; for drawing the code in a PDF."""
    return tuple(tuple(bool(module) for module in row) for row in qr_code(url).matrix)
