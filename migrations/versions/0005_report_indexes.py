"""reports: covering indexes for the annual figures, closed_at for the dashboard

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 09:00:00
"""

from alembic import op

revision = "0005"
down_revision = "0004"
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
    op.create_index("ix_feedback_report", "feedback", REPORT_COLUMNS)
    op.create_index("ix_feedback_closed_at", "feedback", ["closed_at"])
    op.create_index(
        "ix_concern_report", "concern", ["feedback_id", "kind", "area", "topic_id", "assessment"]
    )


def downgrade() -> None:
    op.drop_index("ix_concern_report", table_name="concern")
    op.drop_index("ix_feedback_closed_at", table_name="feedback")
    op.drop_index("ix_feedback_report", table_name="feedback")
