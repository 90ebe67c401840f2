"""Meinungskarte: the feedback portal of a Jobcenter's Kundenreaktionsmanagement."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application. Wires things together only: no migrations, no network."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("KRM_INSTANCE_PATH") or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    from portal import errors, headers, i18n, logs, schema, settings
    from portal.extensions import babel, db, limiter

    settings.load(app, config)
    schema.load_models()

    logs.init_app(app)
    db.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app, babel)
    errors.init_app(app)
    headers.init_app(app)

    from portal import cli
    from portal.public import bp as public_bp
    from portal.public import intake, refusal

    app.register_blueprint(public_bp)
    if not app.config["PUBLIC_ONLY"]:
        import admin

        admin.init_app(app)
    cli.init_app(app)
    intake.install(app)  # stores a valid post to the collector before Flask does anything
    refusal.install(app)  # checks the collector's limits before that
    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app
