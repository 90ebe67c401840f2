"""Security headers on every response, set in one place (an ``after_request`` hook).

The pages need nothing but their own stylesheet: no script, no inline style, no frame, no third
party. The policy says exactly that, so an injected ``<script>`` or ``style=`` does nothing and no
other site can frame a page. Public pages send no referrer at all (the Jobcenter learns nothing
about where a citizen goes next, and nobody learns which card page they came from); the admin area
keeps it within its own origin, where Flask-WTF's CSRF check over HTTPS needs it, so its addresses
(search terms, entry numbers) never leave the site. The frozen site gets the same public headers
from its web server (``docs/deploy-static.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.wsgi import get_host

from portal.public.collector import origin_of

ADMIN_PREFIX = "/admin"
HSTS = "max-age=31536000"

# Powerful browser features none of our pages uses; an injected script could not use them either.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "usb",
        "xr-spatial-tracking",
    )
)


def content_security_policy(form_targets: list[str]) -> str:
    """Only our own stylesheet and images; forms may post only to the given origins."""
    return "; ".join(
        (
            "default-src 'none'",
            "style-src 'self'",
            "img-src 'self'",
            "form-action " + " ".join(["'self'", *form_targets]),
            "base-uri 'none'",
            "frame-ancestors 'none'",
        )
    )


def is_admin_path(path: str) -> bool:
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


def public_form_targets() -> list[str]:
    """Origins a public form posts to or is redirected to: the collector and the public site.

    Browsers apply ``form-action`` to the redirect after a post as well, so the public site's
    origin (the thank-you page) must be named even when the collector runs elsewhere.
    """
    return form_targets(current_app.config, f"{request.scheme}://{request.host}".lower())


def form_targets(config: Mapping[str, Any], own_origin: str) -> list[str]:
    """The origins of the collector and the public site, without the page's own one."""
    origins = (origin_of(config["COLLECTOR_URL"]), origin_of(config["PUBLIC_BASE_URL"]))
    return sorted({origin for origin in origins if origin and origin != own_origin})


@lru_cache(maxsize=64)
def header_values(
    admin: bool, targets: tuple[str, ...], secure: bool
) -> tuple[tuple[str, str], ...]:
    """The headers of a response: the same few combinations on every request, so cached."""
    headers = {
        "Content-Security-Policy": content_security_policy(list(targets)),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
        "Referrer-Policy": "same-origin" if admin else "no-referrer",
        "Permissions-Policy": PERMISSIONS_POLICY,
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if secure:
        headers["Strict-Transport-Security"] = HSTS
    return tuple(headers.items())


def public_headers(
    config: Mapping[str, Any], environ: Mapping[str, Any]
) -> tuple[tuple[str, str], ...]:
    """The headers of a public response answered before Flask, from the WSGI environ alone."""
    scheme = environ.get("wsgi.url_scheme", "http")
    own = f"{scheme}://{get_host(environ)}".lower()
    return header_values(False, tuple(form_targets(config, own)), scheme == "https")


def security_headers(response: Response) -> Response:
    """Add the headers; a view that set one of them itself keeps its own."""
    admin = is_admin_path(request.path)
    targets = () if admin else tuple(public_form_targets())
    for name, value in header_values(admin, targets, request.is_secure):
        response.headers.setdefault(name, value)
    if admin:
        # Shared office computers: no admin page or download stays in a cache, and the back
        # button after signing out shows nothing. Public pages keep their caching.
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(security_headers)
