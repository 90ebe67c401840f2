"""``portal.direct``: a statement run on the driver's connection stores what SQLAlchemy stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import bindparam, insert, select

from portal.db import utcnow
from portal.direct import Direct
from portal.extensions import db
from portal.feedback import Feedback
from portal.mail.outbox import OutboxMessage, enqueue
from portal.vocab import Area, Channel, Kind, MailKind, Status

pytestmark = pytest.mark.engines

FEEDBACK = Feedback.__table__
INSERT = insert(FEEDBACK).returning(FEEDBACK.c.id)
WHEN = datetime(2026, 3, 29, 0, 30, 0, tzinfo=UTC)  # the night Berlin's clocks go forward
VALUES = {
    "received_at": WHEN,
    "channel": Channel.CARD_QR,
    "language": "de",
    "rating": 2,
    "kind": Kind.CRITICISM,
    "area": Area.PLACEMENT,
    "text": "Zu lange gewartet – ß, é, 😀",
    "contact_email": None,
    "close_by": WHEN + timedelta(days=14, microseconds=1),
}
COLUMNS = ["received_at", "channel", "language", "rating", "kind", "area", "text", "text_masked"]
COLUMNS += ["contact_email", "status", "ombudsstelle", "close_by"]


def _read(app, feedback_id: int) -> dict:
    with app.app_context():
        row = db.session.get(Feedback, feedback_id)
        return {column: getattr(row, column) for column in COLUMNS}


def test_a_row_stored_directly_reads_back_as_one_stored_through_sqlalchemy(app):
    with app.app_context():
        through_session = db.session.execute(INSERT, VALUES).scalar_one()
        db.session.commit()
        with Direct(db.engine) as direct:
            directly = direct.execute(INSERT, VALUES).scalar_one()
            direct.commit()
    assert _read(app, directly) == _read(app, through_session)
    stored = _read(app, directly)
    assert stored["status"] is Status.NEW and stored["ombudsstelle"] is False  # the defaults
    assert stored["close_by"] == VALUES["close_by"]


def test_lookups_by_parameter_find_what_was_stored(app):
    since = select(FEEDBACK.c.id).where(FEEDBACK.c.received_at >= bindparam("since")).limit(1)
    with app.app_context(), Direct(db.engine) as direct:
        feedback_id = direct.execute(INSERT, VALUES).scalar_one()
        assert direct.scalar(since, {"since": WHEN}) == feedback_id
        assert direct.scalar(since, {"since": WHEN + timedelta(microseconds=1)}) is None
        assert direct.connection().execute(since, {"since": WHEN}).first() == (feedback_id,)


def test_values_built_into_a_statement_and_rows_in_a_batch(app):
    with app.app_context():
        with Direct(db.engine) as direct:
            feedback_id = direct.execute(INSERT, VALUES).scalar_one()
            mail_id = enqueue(
                direct,
                kind=MailKind.ACKNOWLEDGEMENT,
                recipient="a@b.de",
                lang="de",
                now=utcnow(),
                feedback_id=feedback_id,
                params={"name": "Ä"},
            )
            direct.execute(insert(FEEDBACK), [VALUES, {**VALUES, "rating": 5}])
            direct.commit()
        message = db.session.get(OutboxMessage, mail_id)
        assert (message.recipient, message.feedback_id, message.subject) == (
            "a@b.de",
            feedback_id,
            None,
        )
        ratings = db.session.scalars(select(FEEDBACK.c.rating).order_by(FEEDBACK.c.id)).all()
        assert ratings == [2, 2, 5]


def test_nothing_is_kept_without_commit(app):
    with app.app_context():
        with Direct(db.engine) as direct:
            direct.execute(INSERT, VALUES)
        assert db.session.scalars(select(FEEDBACK.c.id)).all() == []
