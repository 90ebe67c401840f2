"""Dienststellen und Karten (placeholder, built next)."""

from __future__ import annotations

from flask import Blueprint, render_template

from admin.access import requires

bp = Blueprint("cards", __name__, url_prefix="/cards")


@bp.get("/")
@requires()
def index():
    return render_template("admin/placeholder.html", title="Dienststellen und Karten")
