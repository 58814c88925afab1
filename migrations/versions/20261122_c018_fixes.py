"""fixes for issues 8-10 and reports (R1, R2, R4)

Revision ID: a1c0c0a1c018
Revises: a1c0c0a1c017
Create Date: 2026-11-22 08:00:00

"""
import json

import sqlalchemy as sa
from alembic import op

revision = 'a1c0c0a1c018'
down_revision = 'a1c0c0a1c017'
branch_labels = None
depends_on = None


def upgrade():
    _r1_audit_event_upgrade()


def downgrade():
    _r1_audit_event_downgrade()


# --- R1: audit_entry.event_id (an event's history lists its check-ins, registrations …) -------------------

def _r1_audit_event_upgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_entry_event_id'), ['event_id'], unique=False)
    # Existing entries: the event's own, those of rows that still exist, then those whose `changes` name it
    # (an undone check-in's row is gone). Plain SQL: the application's append-only guard is for the ORM.
    op.execute("UPDATE audit_entry SET event_id = object_id WHERE object_type = 'event'")
    for table in ('check_in', 'registration'):
        op.execute(f"UPDATE audit_entry SET event_id = (SELECT t.event_id FROM {table} t"
                   f" WHERE t.id = audit_entry.object_id) WHERE object_type = '{table}' AND object_id IS NOT NULL")
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, changes FROM audit_entry WHERE event_id IS NULL AND changes IS NOT NULL"
                                " AND object_type IN ('check_in', 'registration')")).all()
    for entry_id, changes in rows:
        data = json.loads(changes) if isinstance(changes, str) else changes
        event_id = data.get('event_id') if isinstance(data, dict) else None
        if isinstance(event_id, int):
            bind.execute(sa.text("UPDATE audit_entry SET event_id = :e WHERE id = :i"), {"e": event_id, "i": entry_id})


def _r1_audit_event_downgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_event_id'))
        batch_op.drop_column('event_id')
