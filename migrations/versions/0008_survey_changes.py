"""survey changes: when a survey result last changed, and which exports carried survey results

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 14:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("survey_result", schema=None) as batch_op:
        batch_op.add_column(sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE survey_result SET changed_at = imported_at")
    with op.batch_alter_table("survey_result", schema=None) as batch_op:
        batch_op.alter_column(
            "changed_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.create_index(batch_op.f("ix_survey_result_changed_at"), ["changed_at"])
    # Earlier exports are left without a count: the first export after the update carries every
    # result once, as a first export ever does (docs/export.md).
    op.add_column("export_run", sa.Column("surveys", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("export_run", schema=None) as batch_op:
        batch_op.drop_column("surveys")
    with op.batch_alter_table("survey_result", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_result_changed_at"))
        batch_op.drop_column("changed_at")
