"""The admin area: one parent blueprint under /admin, one child blueprint per area.

Access is enforced once, in the parent's ``before_request`` (``admin.access``).
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, g, url_for
from werkzeug.exceptions import HTTPException

from admin.access import declared_roles, enforce_access
from admin.errors import admin_error

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(enforce_access)
bp.register_error_handler(HTTPException, admin_error)

# The main navigation; each entry shows only to the roles its view admits.
NAVIGATION = (
    ("admin.inbox.index", "Eingang"),
    ("admin.capture.index", "Papierkarten erfassen"),
    ("admin.scan.upload", "Scan einlesen"),
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
    from admin.auth import home_url

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


from admin import (  # noqa: E402  (the areas, one blueprint each)
    audit_views,
    auth,
    capture_views,
    cards_views,
    export_views,
    google_views,
    inbox_views,
    mail_views,
    report_views,
    settings_views,
    survey_views,
)
from admin.paper import scan_views  # noqa: E402

for child in (
    auth.bp,
    inbox_views.bp,
    capture_views.bp,
    scan_views.bp,
    cards_views.bp,
    settings_views.bp,
    report_views.bp,
    export_views.bp,
    survey_views.bp,
    google_views.bp,
    mail_views.bp,
    audit_views.bp,
):
    bp.register_blueprint(child)


def init_app(app: Flask) -> None:
    from admin.cli import teams_cli, users_cli
    from admin.export_cli import export_command, surveys_cli
    from admin.google_cli import google_cli
    from admin.mail_cli import mail_cli
    from admin.paper.scan_cli import paper_cli
    from admin.report_cli import report_command
    from admin.retention_cli import purge_command
    from portal.extensions import csrf
    from portal.public import bp as public_bp

    csrf.init_app(app)
    csrf.exempt(public_bp)  # anonymous, cookieless, frozen: it defends itself (see collector)
    app.register_blueprint(bp)
    app.cli.add_command(users_cli)
    app.cli.add_command(teams_cli)
    app.cli.add_command(export_command)
    app.cli.add_command(surveys_cli)
    app.cli.add_command(report_command)
    app.cli.add_command(google_cli)
    app.cli.add_command(purge_command)
    app.cli.add_command(mail_cli)
    app.cli.add_command(paper_cli)
