"""Übersicht (placeholder, built next)."""

from __future__ import annotations

from flask import Blueprint, render_template

from admin.access import requires
from portal.vocab import Role

bp = Blueprint("overview", __name__, url_prefix="/overview")


@bp.get("/")
@requires(Role.READ)
def index():
    return render_template("admin/placeholder.html", title="Übersicht")
