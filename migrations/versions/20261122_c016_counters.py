"""progress: maintained counters (R7)

Revision ID: a1c0c0a1c016
Revises: a1c0c0a1c015
Create Date: 2026-11-22 08:00:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = 'a1c0c0a1c016'
down_revision = 'a1c0c0a1c015'
branch_labels = None
depends_on = None


# Fill both tables from the existing rows, as `flask counts rebuild` (progress/counters.py) does, so an
# upgraded database shows right figures at once. Plain SQL on this revision's schema (the models move on):
# 人次 = check-ins neither pending nor voided, by method; pending ones apart; seq = every row ever kept.
# One grouped pass over check_in: a few seconds per million rows.
_COUNTED = "c.status <> 'pending' AND c.voided_at IS NULL"
FILL_EVENT_COUNT = f"""
INSERT INTO event_count (event_id, seq, checkins, pending, by_self, by_staff, by_manual, by_import)
SELECT c.event_id, COUNT(*),
       SUM(CASE WHEN {_COUNTED} THEN 1 ELSE 0 END),
       SUM(CASE WHEN c.status = 'pending' THEN 1 ELSE 0 END),
       SUM(CASE WHEN {_COUNTED} AND c.method = 'self' THEN 1 ELSE 0 END),
       SUM(CASE WHEN {_COUNTED} AND c.method = 'staff' THEN 1 ELSE 0 END),
       SUM(CASE WHEN {_COUNTED} AND c.method = 'manual' THEN 1 ELSE 0 END),
       SUM(CASE WHEN {_COUNTED} AND c.method = 'import' THEN 1 ELSE 0 END)
FROM check_in c GROUP BY c.event_id
"""
# 人: one row per (program, organizing unit, person) counted at a published event of that program
# (primary or additional), with the earliest start among those events.
FILL_PROGRAM_PARTICIPANT = f"""
INSERT INTO program_participant (program_id, organization_id, participant_id, first_starts_at)
SELECT m.program_id, e.organization_id, c.participant_id, MIN(e.starts_at)
FROM check_in c
JOIN event e ON e.id = c.event_id
JOIN (SELECT id AS event_id, program_id FROM event
      UNION SELECT event_id, program_id FROM event_program) m ON m.event_id = e.id
WHERE e.status = 'published' AND {_COUNTED} AND m.program_id IS NOT NULL
GROUP BY m.program_id, e.organization_id, c.participant_id
"""


def upgrade():
    op.create_table(
        'event_count',
        sa.Column('event_id', sa.Integer(), nullable=False),
        *[sa.Column(name, sa.Integer(), server_default='0', nullable=False)
          for name in ('seq', 'checkins', 'pending', 'by_self', 'by_staff', 'by_manual', 'by_import')],
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_count_event_id_event'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('event_id', name=op.f('pk_event_count')),
    )
    op.create_table(
        'program_participant',
        sa.Column('program_id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('first_starts_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organization.id'],
                                name=op.f('fk_program_participant_organization_id_organization'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['participant_id'], ['participant.id'],
                                name=op.f('fk_program_participant_participant_id_participant'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['program_id'], ['program.id'],
                                name=op.f('fk_program_participant_program_id_program'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('program_id', 'organization_id', 'participant_id',
                                name=op.f('pk_program_participant')),
    )
    op.create_index('ix_program_participant_person', 'program_participant', ['participant_id'], unique=False)
    op.execute(FILL_EVENT_COUNT)
    op.execute(FILL_PROGRAM_PARTICIPANT)


def downgrade():
    op.drop_index('ix_program_participant_person', table_name='program_participant')
    op.drop_table('program_participant')
    op.drop_table('event_count')
