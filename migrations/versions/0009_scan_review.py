"""scan review: pages read by the scanner, and the scanned cards waiting for review

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 14:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scan_page",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cards", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_page")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_scan_page_fingerprint")),
    )
    op.create_table(
        "scan_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("page", sa.SmallInteger(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("writing", sa.Boolean(), nullable=False),
        sa.Column("uncertain", sa.String(length=64), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("boxes", sa.Text(), nullable=False),
        sa.Column("layout", sa.String(length=32), nullable=True),
        sa.Column("fingerprint", sa.String(length=80), nullable=False),
        sa.Column("picture", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_review")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_scan_review_fingerprint")),
    )
    op.create_index(op.f("ix_scan_review_created_at"), "scan_review", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_scan_review_created_at"), table_name="scan_review")
    op.drop_table("scan_review")
    op.drop_table("scan_page")
