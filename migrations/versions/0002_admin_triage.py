"""admin: accounts, teams, topics, concerns, notes, audit, deadlines

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 05:02:04.055444
"""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import sqlalchemy as sa
from alembic import context, op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "team",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team")),
        sa.UniqueConstraint("name", name=op.f("uq_team_name")),
    )
    op.create_table(
        "topic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topic")),
        sa.UniqueConstraint("name", name=op.f("uq_topic_name")),
    )
    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_user_account_team_id_team")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("name", name=op.f("uq_user_account_name")),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=120), nullable=True),
        sa.Column("changes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user_account.id"], name=op.f("fk_audit_event_actor_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_audit_event_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_event_feedback_id"), ["feedback_id"], unique=False
        )

    op.create_table(
        "concern",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("area", sa.String(length=32), nullable=True),
        sa.Column("topic_id", sa.Integer(), nullable=True),
        sa.Column("assessment", sa.String(length=32), nullable=True),
        sa.CheckConstraint("position BETWEEN 1 AND 3", name=op.f("ck_concern_position_range")),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_concern_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["topic_id"], ["topic.id"], name=op.f("fk_concern_topic_id_topic")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concern")),
        sa.UniqueConstraint("feedback_id", "position", name=op.f("uq_concern_feedback_id")),
    )
    op.create_table(
        "note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user_account.id"], name=op.f("fk_note_author_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_note_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note")),
    )
    with op.batch_alter_table("note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_note_feedback_id"), ["feedback_id"], unique=False)

    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("ombudsstelle", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("acknowledge_by", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("close_by", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))

    _set_deadlines_of_existing_feedback()

    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.alter_column("close_by", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column(
            "updated_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.create_index("ix_feedback_status_close_by", ["status", "close_by"], unique=False)
        batch_op.create_index(
            "ix_feedback_status_received_at", ["status", "received_at"], unique=False
        )
        batch_op.create_index(
            "ix_feedback_team_id_received_at", ["team_id", "received_at"], unique=False
        )
        batch_op.create_index("ix_feedback_updated_at", ["updated_at"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_feedback_team_id_team"), "team", ["team_id"], ["id"]
        )

    topic = sa.table("topic", sa.column("name", sa.String), sa.column("active", sa.Boolean))
    op.bulk_insert(topic, [{"name": name, "active": True} for name in TOPICS])

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_FULL_TEXT:
            op.execute(statement)
    elif dialect == "postgresql":
        for statement in POSTGRES_FULL_TEXT:
            op.execute(statement)


# The domain's Themen at the time of this migration; the officer adds more in the admin area.
TOPICS = (
    "Bearbeitungsdauer",
    "Höhe der Leistungen",
    "Beratung",
    "Zustimmung zum Umzug",
    "fachliche Kompetenz",
    "Erreichbarkeit",
    "Anforderung von Unterlagen",
    "Bescheide",
    "Anrechnung von Einkommen",
    "Zuweisung zu Maßnahmen",
    "Sanktionen",
    "Wechsel der Vermittlungsfachkraft",
    "Wartezeit",
    "Freundlichkeit",
)

# An FTS5 index of the feedback text, kept in step by triggers. A later batch ALTER of `feedback`
# on SQLite recreates the table and drops these triggers: such a migration must create them again.
SQLITE_FULL_TEXT = (
    "CREATE VIRTUAL TABLE feedback_fts USING fts5(text, content='feedback', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER feedback_fts_insert AFTER INSERT ON feedback BEGIN "
    "INSERT INTO feedback_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER feedback_fts_delete AFTER DELETE ON feedback BEGIN "
    "INSERT INTO feedback_fts(feedback_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER feedback_fts_update AFTER UPDATE OF text ON feedback BEGIN "
    "INSERT INTO feedback_fts(feedback_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO feedback_fts(rowid, text) VALUES (new.id, new.text); END",
    "INSERT INTO feedback_fts(feedback_fts) VALUES ('rebuild')",
)


# PostgreSQL's full-text search: German stemming on words without diacritics (unaccent, a trusted
# extension the database owner may create), and a GIN index on exactly the expression that
# admin.inbox.search_condition queries.
POSTGRES_FULL_TEXT = (
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE TEXT SEARCH CONFIGURATION krm_german (COPY = pg_catalog.german)",
    "ALTER TEXT SEARCH CONFIGURATION krm_german ALTER MAPPING FOR hword, hword_part, word "
    "WITH unaccent, german_stem",
    "CREATE INDEX ix_feedback_text_search ON feedback "
    "USING gin (to_tsvector('krm_german'::regconfig, text))",
)


def _set_deadlines_of_existing_feedback() -> None:
    """Rows from before deadlines existed get them as new ones would (see portal.deadlines)."""
    state = context.config.attributes.get("state", "RP")
    public_holidays = holidays.country_holidays("DE", subdiv=state)
    berlin = ZoneInfo("Europe/Berlin")
    feedback = sa.table(
        "feedback",
        sa.column("id", sa.Integer),
        sa.column("received_at", sa.DateTime),
        sa.column("contact_consent_at", sa.DateTime),
        sa.column("acknowledge_by", sa.DateTime),
        sa.column("close_by", sa.DateTime),
        sa.column("updated_at", sa.DateTime),
    )

    def working_days_after(day, count):
        while count:
            day += timedelta(days=1)
            count -= day.weekday() < 5 and day not in public_holidays
        return day

    def end_of_day(day):
        moment = datetime.combine(day, time(23, 59, 59), berlin).astimezone(UTC)
        return moment.replace(tzinfo=None)

    bind = op.get_bind()
    rows = bind.execute(
        sa.select(feedback.c.id, feedback.c.received_at, feedback.c.contact_consent_at)
    ).all()
    for row in rows:
        received = row.received_at.replace(tzinfo=UTC).astimezone(berlin).date()
        if row.contact_consent_at is not None:
            acknowledge_by = end_of_day(working_days_after(received, 3))
            close_by = end_of_day(received + timedelta(days=14))
        else:
            acknowledge_by, close_by = None, end_of_day(working_days_after(received, 5))
        bind.execute(
            feedback.update()
            .where(feedback.c.id == row.id)
            .values(acknowledge_by=acknowledge_by, close_by=close_by, updated_at=row.received_at)
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER feedback_fts_{name}")
        op.execute("DROP TABLE feedback_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX ix_feedback_text_search")
        op.execute("DROP TEXT SEARCH CONFIGURATION krm_german")
        op.execute("DROP EXTENSION IF EXISTS unaccent")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_feedback_team_id_team"), type_="foreignkey")
        batch_op.drop_index("ix_feedback_updated_at")
        batch_op.drop_index("ix_feedback_team_id_received_at")
        batch_op.drop_index("ix_feedback_status_received_at")
        batch_op.drop_index("ix_feedback_status_close_by")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("close_by")
        batch_op.drop_column("acknowledged_at")
        batch_op.drop_column("acknowledge_by")
        batch_op.drop_column("ombudsstelle")
        batch_op.drop_column("team_id")

    with op.batch_alter_table("note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_note_feedback_id"))

    op.drop_table("note")
    op.drop_table("concern")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_feedback_id"))
        batch_op.drop_index(batch_op.f("ix_audit_event_at"))

    op.drop_table("audit_event")
    op.drop_table("user_account")
    op.drop_table("topic")
    op.drop_table("team")
