"""Themen und Teams (placeholder, built next)."""

from __future__ import annotations

from flask import Blueprint, render_template

from admin.access import requires

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.get("/")
@requires()
def index():
    return render_template("admin/placeholder.html", title="Themen und Teams")
