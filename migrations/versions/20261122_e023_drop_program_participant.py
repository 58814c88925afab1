"""progress: drop program_participant, read by nothing since person_reach and reach_count (a1c0c0a1c022)

Every check-in still wrote a row there (one statement more on the hot path) and every ORM change that moves
people rewrote theirs, but no page, report or export has read it since the dashboard and program pages
moved to person_reach / reach_count. Its rows derive from check-ins alone, so nothing is lost: the
downgrade makes the table again as a1c0c0a1c016 made it and fills it with that migration's statement.

Revision ID: a1c0c0a1c023
Revises: a1c0c0a1c022
Create Date: 2026-11-22 11:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a1c0c0a1c023'
down_revision = 'a1c0c0a1c022'
branch_labels = None
depends_on = None

# Plain SQL on this revision's schema (the models move on), as in a1c0c0a1c016: one row per (program,
# organizing unit, person) counted (neither pending nor voided) at a published event of that program (primary
# or additional), with the earliest start among those events.
_COUNTED = "c.status <> 'pending' AND c.voided_at IS NULL"
_FILL_PROGRAM_PARTICIPANT = f"""
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
    op.drop_index('ix_program_participant_person', table_name='program_participant')
    op.drop_table('program_participant')


def downgrade():
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
    op.execute(_FILL_PROGRAM_PARTICIPANT)
