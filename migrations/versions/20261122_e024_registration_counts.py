"""checkin: registrations by status kept in event_count

The door staff's scanner answers every scan with the event's figures, registrations by status among them;
counting an event's registrations each time grew with the event (three index range counts per scan). The
counts now live beside the check-in figures, kept by the same flush hooks (progress/sync.py), and are filled
here from the registrations already stored.

Revision ID: a1c0c0a1c024
Revises: a1c0c0a1c023
Create Date: 2026-11-22 15:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a1c0c0a1c024'
down_revision = 'a1c0c0a1c023'
branch_labels = None
depends_on = None

_COLUMNS = {"registered": "registered", "waitlisted": "waitlisted", "reg_cancelled": "cancelled"}


def upgrade():
    for column in _COLUMNS:
        op.add_column('event_count', sa.Column(column, sa.Integer(), server_default='0', nullable=False))
    # Events with registrations but no check-in have no row yet.
    op.execute("INSERT INTO event_count (event_id) SELECT DISTINCT r.event_id FROM registration r"
               " WHERE NOT EXISTS (SELECT 1 FROM event_count c WHERE c.event_id = r.event_id)")
    op.execute("UPDATE event_count SET " + ", ".join(
        f"{column} = (SELECT COUNT(*) FROM registration r WHERE r.event_id = event_count.event_id"
        f" AND r.status = '{status}')" for column, status in _COLUMNS.items()))


def downgrade():
    with op.batch_alter_table('event_count') as batch:
        for column in reversed(list(_COLUMNS)):
            batch.drop_column(column)
