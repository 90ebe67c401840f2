"""The admin area: one parent blueprint under /admin, and one room (a sub-package) per area.

A room holds its models, services, ``views.py`` with its child blueprint ``bp`` and, where it has
commands, ``cli.py`` with its ``COMMANDS``; ``ROOMS`` lists them once. Access is enforced once, in
the parent's ``before_request`` (``admin.access``).
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from flask import Blueprint, Flask, current_app, g, url_for
from werkzeug.exceptions import HTTPException

from admin.access import declared_roles, enforce_access
from admin.errors import admin_error

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(enforce_access)
bp.register_error_handler(HTTPException, admin_error)

# The rooms of the officer's desk (docs/architecture.md).
ROOMS = (
    "accounts",
    "inbox",
    "paper",
    "locations",
    "topics",
    "google",
    "mail",
    "export",
    "surveys",
    "reports",
    "audit",
    "retention",
)

# The main navigation; each entry shows only to the roles its view admits.
NAVIGATION = (
    ("admin.inbox.index", "Eingang"),
    ("admin.capture.index", "Papierkarten erfassen"),
    ("admin.capture.scan.upload", "Scan einlesen"),
    ("admin.cards.index", "Dienststellen und Karten"),
    ("admin.settings.index", "Themen und Teams"),
    ("admin.google.index", "Google-Rezensionen"),
    ("admin.mail.index", "E-Mail"),
    ("admin.export.index", "Export"),
    ("admin.surveys.index", "Kundenbefragung"),
    ("admin.reports.dashboard_page", "Berichte"),
    ("admin.audit.index", "Protokoll"),
)


@bp.app_template_global()
def admin_home() -> str:
    from admin.accounts.views import home_url

    user = g.get("user")
    return home_url(user) if user else url_for("admin.auth.login")


@bp.app_template_global()
def admin_navigation() -> list[tuple[str, str]]:
    user = g.get("user")
    return [
        (endpoint, label)
        for endpoint, label in NAVIGATION
        if endpoint in current_app.view_functions
        and user is not None
        and user.role in (declared_roles(endpoint) or ())
    ]


def _room_modules(part: str) -> list[ModuleType]:
    """The rooms' ``views`` (each with its blueprint ``bp``) or ``cli`` (its ``COMMANDS``)."""
    names = (f"admin.{room}.{part}" for room in ROOMS)
    return [importlib.import_module(name) for name in names if importlib.util.find_spec(name)]


for views in _room_modules("views"):
    bp.register_blueprint(views.bp)


def init_app(app: Flask) -> None:
    from admin.demo import demo_command
    from portal.extensions import csrf
    from portal.public import bp as public_bp

    csrf.init_app(app)
    csrf.exempt(public_bp)  # anonymous, cookieless, frozen: it defends itself (see collector)
    app.register_blueprint(bp)
    for cli in _room_modules("cli"):
        for command in cli.COMMANDS:
            app.cli.add_command(command)
    app.cli.add_command(demo_command)
