"""feedback_fts: no trigger indexes a new entry; portal.search_index adds them in batches

The insert trigger cost a sixth of the collector's time per submission. The delete and update
triggers now act only on rows the index holds (those with a row in ``feedback_fts_docsize``);
a row above the index's highest id is indexed, with its text of the moment, when the index
catches up. Every existing row is indexed already, so nothing needs filling in.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 01:00:00
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

INDEXED = "WHEN EXISTS (SELECT 1 FROM feedback_fts_docsize WHERE id = old.id)"
DELETE_OLD = (
    "INSERT INTO feedback_fts(feedback_fts, rowid, text) VALUES ('delete', old.id, old.text);"
)
INSERT_NEW = "INSERT INTO feedback_fts(rowid, text) VALUES (new.id, new.text);"
TRIGGERS = ("feedback_fts_insert", "feedback_fts_delete", "feedback_fts_update")


def _drop_triggers() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _drop_triggers()
    op.execute(
        f"CREATE TRIGGER feedback_fts_delete AFTER DELETE ON feedback {INDEXED} "
        f"BEGIN {DELETE_OLD} END"
    )
    op.execute(
        f"CREATE TRIGGER feedback_fts_update AFTER UPDATE OF text ON feedback {INDEXED} "
        f"BEGIN {DELETE_OLD} {INSERT_NEW} END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _drop_triggers()
    op.execute(
        "INSERT INTO feedback_fts(rowid, text) SELECT id, text FROM feedback "
        "WHERE id > (SELECT coalesce(max(id), 0) FROM feedback_fts_docsize) ORDER BY id"
    )
    op.execute(
        f"CREATE TRIGGER feedback_fts_insert AFTER INSERT ON feedback BEGIN {INSERT_NEW} END"
    )
    op.execute(
        f"CREATE TRIGGER feedback_fts_delete AFTER DELETE ON feedback BEGIN {DELETE_OLD} END"
    )
    op.execute(
        "CREATE TRIGGER feedback_fts_update AFTER UPDATE OF text ON feedback "
        f"BEGIN {DELETE_OLD} {INSERT_NEW} END"
    )
