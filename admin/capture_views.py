"""Papierkarten erfassen (placeholder, built next)."""

from __future__ import annotations

from flask import Blueprint, render_template

from admin.access import requires

bp = Blueprint("capture", __name__, url_prefix="/paper")


@bp.get("/")
@requires()
def index():
    return render_template("admin/placeholder.html", title="Papierkarten erfassen")
