"""Protokoll: the audit log of the whole installation, for the KRM officer."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from admin.access import requires
from admin.audit.history import history_lines
from portal.audit import log_page
from portal.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/audit")

SECTION_LABELS = {
    "": "alles",
    "entries": "Einträge",
    "sign-in": "Anmeldungen",
    "accounts": "Konten und Teams",
    "cards": "Dienststellen und Karten",
    "topics": "Themen",
    "google": "Google-Rezensionen",
    "mail": "E-Mail",
    "export": "Export und Kundenbefragung",
}


@bp.get("/")
@requires()
def index():
    section = request.args.get("section", "")
    section = section if section in SECTION_LABELS else ""
    actor = (request.args.get("actor") or "").strip()[:80]
    before = request.args.get("before", type=int)
    events, next_before = log_page(
        db.session, section=section or None, actor=actor or None, before=before
    )
    return render_template(
        "admin/audit/index.html",
        lines=list(zip(events, history_lines(events), strict=True)),
        sections=SECTION_LABELS,
        section=section,
        actor=actor,
        next_before=next_before,
        paged=before is not None,
    )
