"""feedback: drop three indexes no query needs since the report roll-up, so a submission
writes fewer b-trees (the collector's writer turn is shorter)

``ix_feedback_report`` and ``ix_feedback_closed_at`` served the annual report and the
dashboard, which read ``report_rollup`` now (0010); ``ix_feedback_status`` is the first column
of ``ix_feedback_status_close_by`` and ``ix_feedback_status_received_at``, which answer every
lookup by status.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 19:30:00
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

REPORT_COLUMNS = [
    "received_at",
    "status",
    "channel",
    "rating",
    "ombudsstelle",
    "close_by",
    "closed_at",
    "location_id",
]


def upgrade() -> None:
    op.drop_index("ix_feedback_report", table_name="feedback")
    op.drop_index("ix_feedback_closed_at", table_name="feedback")
    op.drop_index("ix_feedback_status", table_name="feedback")


def downgrade() -> None:
    op.create_index("ix_feedback_status", "feedback", ["status"])
    op.create_index("ix_feedback_closed_at", "feedback", ["closed_at"])
    op.create_index("ix_feedback_report", "feedback", REPORT_COLUMNS)
