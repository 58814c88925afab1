"""notices: outbox and reminder preferences (R6)

Revision ID: a1c0c0a1c015
Revises: a1c0c0a1c014
Create Date: 2026-11-22 08:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a1c0c0a1c015'
down_revision = 'a1c0c0a1c014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=11), nullable=False),
        sa.Column("template", sa.String(length=40), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=False),
        sa.Column("provider_id", sa.String(length=80), nullable=False),
        sa.Column("dedupe_key", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'sent', 'failed', 'skipped')", name=op.f("ck_notice_state")),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], name=op.f("fk_notice_event_id_event"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notice_dedupe_key")),
    )
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.create_index("ix_notice_due", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_event_id"), ["event_id"], unique=False)
    op.create_table(
        "reminder_opt_out",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=11), nullable=False),
        sa.Column("via", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_opt_out")),
        sa.UniqueConstraint("phone", name=op.f("uq_reminder_opt_out_phone")),
    )


def downgrade():
    op.drop_table("reminder_opt_out")
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_event_id"))
        batch_op.drop_index("ix_notice_due")
    op.drop_table("notice")
