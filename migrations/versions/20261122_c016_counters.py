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


def upgrade():
    # Filled by `flask counts rebuild` after upgrading (README): counting existing rows here would
    # hold the migration for minutes on a large database.
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


def downgrade():
    op.drop_index('ix_program_participant_person', table_name='program_participant')
    op.drop_table('program_participant')
    op.drop_table('event_count')
