"""report roll-up: the counts of the annual report and the dashboard per Berlin day, filled
from the rows

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

KEY = [
    "fact",
    "day",
    "channel",
    "rating",
    "location_id",
    "ombudsstelle",
    "outcome",
    "classified",
    "kind",
    "area",
    "topic_id",
    "assessment",
]


def upgrade() -> None:
    op.create_table(
        "report_rollup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fact", sa.String(length=8), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("ombudsstelle", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("classified", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("area", sa.String(length=32), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("assessment", sa.String(length=32), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_rollup")),
        sa.UniqueConstraint(*KEY, name="uq_report_rollup_key"),
    )
    from portal.rollup import rebuild  # the one definition of what an entry counts

    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_table("report_rollup")
