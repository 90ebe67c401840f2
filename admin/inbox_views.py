"""The inbox (placeholder until the inbox is built)."""

from __future__ import annotations

from flask import Blueprint, render_template

from admin.access import requires
from portal.vocab import Role

bp = Blueprint("inbox", __name__)


@bp.get("/")
@requires(Role.TEAM)
def index():
    return render_template("admin/inbox.html")
