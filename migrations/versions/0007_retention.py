"""retention: when an entry's free text, contact data and notes were purged

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 04:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The FTS5 triggers of 0002: a batch ALTER of `feedback` on SQLite recreates the table, which
# drops them, so the downgrade creates them again (where they are missing).
SQLITE_FULL_TEXT_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS feedback_fts_insert AFTER INSERT ON feedback BEGIN "
    "INSERT INTO feedback_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS feedback_fts_delete AFTER DELETE ON feedback BEGIN "
    "INSERT INTO feedback_fts(feedback_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER IF NOT EXISTS feedback_fts_update AFTER UPDATE OF text ON feedback BEGIN "
    "INSERT INTO feedback_fts(feedback_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO feedback_fts(rowid, text) VALUES (new.id, new.text); END",
)


def upgrade() -> None:
    # A plain ADD COLUMN: no table rebuild, so the full-text triggers stay.
    op.add_column("feedback", sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_column("purged_at")
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_FULL_TEXT_TRIGGERS:
            op.execute(statement)
