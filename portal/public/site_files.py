"""``/robots.txt`` and ``/favicon.ico``: the two files every site is asked for by convention.

Both are ordinary routes, so the live app answers them and ``krm freeze`` writes them as files.
"""

from __future__ import annotations

from functools import cache
from io import BytesIO
from urllib.parse import urlsplit

from flask import Response, current_app
from PIL import Image, ImageDraw

from portal.public import bp

# Pillow draws the same shapes as static/favicon.svg (a 32-unit grid), enlarged and scaled down.
ICON_SIZES = (16, 32)
ICON_SCALE = 8  # drawn at 256 px, then reduced: smooth edges at 16 and 32 px
BLUE, WHITE = "#0b3a75", "#ffffff"


@bp.get("/robots.txt")
def robots_txt() -> Response:
    return Response(robots_text(current_app.config), mimetype="text/plain")


@bp.get("/favicon.ico")
def favicon_ico() -> Response:
    # The IANA type, which is also what Python's mimetypes (and so Frozen-Flask) expects for .ico.
    return Response(favicon_ico_bytes(), mimetype="image/vnd.microsoft.icon")


def robots_text(config) -> str:
    """What ``KRM_ROBOTS`` asks for: ``allow`` (the public pages), ``deny`` (nothing) or a text.

    ``allow`` keeps crawlers out of the admin area and the collector, at the paths they have in
    this installation (``KRM_ADMIN_URL``, ``KRM_COLLECTOR_URL``), sub-path included.
    """
    setting = config["ROBOTS"]
    if setting == "deny":
        return "User-agent: *\nDisallow: /\n"
    if setting == "allow":
        admin = urlsplit(config["ADMIN_URL"]).path.rstrip("/") + "/"
        collector = urlsplit(config["COLLECTOR_URL"]).path or "/submit"
        return f"User-agent: *\nDisallow: {admin}\nDisallow: {collector}\n"
    return setting.strip() + "\n"


@cache
def favicon_ico_bytes() -> bytes:
    """A real ICO (16 and 32 px) of the SVG favicon, for browsers and tools that ask for it."""
    big = ICON_SCALE * 32
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)

    def grid(*points: float) -> list[float]:
        return [point * ICON_SCALE for point in points]

    draw.rounded_rectangle(grid(0, 0, 32, 32), radius=6 * ICON_SCALE, fill=BLUE)
    bubble = [(6, 7), (26, 7), (26, 21), (15, 21), (9, 26), (9, 21), (6, 21)]
    draw.polygon([tuple(grid(x, y)) for x, y in bubble], fill=WHITE)
    for x in (12.5, 19.5):
        draw.ellipse(grid(x - 1.5, 9.5, x + 1.5, 12.5), fill=BLUE)
    draw.arc(grid(10.5, 11.5, 21.5, 17.5), 0, 180, fill=BLUE, width=2 * ICON_SCALE)
    frames = [image.resize((size, size), Image.Resampling.LANCZOS) for size in ICON_SIZES]
    out = BytesIO()
    frames[-1].save(
        out, format="ICO", sizes=[(size, size) for size in ICON_SIZES], append_images=frames[:-1]
    )
    return out.getvalue()
