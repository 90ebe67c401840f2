"""The overview: figures without any citizen's text, for every role (reports come later)."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from admin.access import requires
from portal.db import utcnow
from portal.extensions import db
from portal.feedback import Feedback
from portal.vocab import OPEN_STATUSES, Channel, Role, Status

bp = Blueprint("overview", __name__, url_prefix="/overview")


@bp.get("/")
@requires(Role.TEAM, Role.READ)
def index():
    by_status = dict(
        db.session.execute(select(Feedback.status, func.count()).group_by(Feedback.status)).all()
    )
    by_channel = dict(
        db.session.execute(select(Feedback.channel, func.count()).group_by(Feedback.channel)).all()
    )
    overdue = db.session.scalar(
        select(func.count())
        .select_from(Feedback)
        .where(Feedback.status.in_(OPEN_STATUSES), Feedback.close_by < utcnow())
    )
    return render_template(
        "admin/overview.html",
        by_status=[(status, by_status.get(status, 0)) for status in Status],
        by_channel=[(channel, by_channel.get(channel, 0)) for channel in Channel],
        overdue=overdue,
    )
