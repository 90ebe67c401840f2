"""surveys and export: Kundenbefragung results, export layout and export log

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 08:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "survey_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("location", sa.String(length=120), nullable=False),
        sa.Column("indicator", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("scale", sa.String(length=80), nullable=False),
        sa.Column("respondents", sa.Integer(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["imported_by_id"],
            ["user_account.id"],
            name=op.f("fk_survey_result_imported_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_result")),
        sa.UniqueConstraint(
            "period", "location", "indicator", name=op.f("uq_survey_result_period")
        ),
    )
    op.create_index(op.f("ix_survey_result_period"), "survey_result", ["period"])
    op.create_table(
        "export_column",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("header", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_column")),
        sa.UniqueConstraint("field", name=op.f("uq_export_column_field")),
        sa.UniqueConstraint("position", name=op.f("uq_export_column_position")),
    )
    op.create_table(
        "export_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("changed_only", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user_account.id"], name=op.f("fk_export_run_actor_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_run")),
    )
    op.create_index(op.f("ix_export_run_at"), "export_run", ["at"])
    op.create_index("ix_export_run_week_at", "export_run", ["week", "at"])


def downgrade() -> None:
    op.drop_index("ix_export_run_week_at", table_name="export_run")
    op.drop_index(op.f("ix_export_run_at"), table_name="export_run")
    op.drop_table("export_run")
    op.drop_table("export_column")
    op.drop_index(op.f("ix_survey_result_period"), table_name="survey_result")
    op.drop_table("survey_result")
