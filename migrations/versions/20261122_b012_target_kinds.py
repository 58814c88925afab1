"""programs: target kinds, reported figures, reported attendance, extra programs (P8)

Target values and event quantities become figures with two decimals, stored as integer hundredths
(the columns stay INTEGER; existing rows are multiplied by 100).

Revision ID: a1c0c0a1c012
Revises: a1c0c0a1c011
Create Date: 2026-11-22 07:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a1c0c0a1c012'
down_revision = 'a1c0c0a1c011'
branch_labels = None
depends_on = None

TARGET_KEY = ['program_id', 'metric', 'label', 'level']
OVERALL_WHERE = sa.text('organization_id IS NULL')
KINDS = "kind IN ('events', 'amount', 'rate', 'reported')"


def upgrade():
    # SQLite's batch recreate of `target` must not have to carry the partial index's WHERE.
    op.drop_index('ix_target_overall_unique', table_name='target')
    with op.batch_alter_table('target', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=12), server_default='events', nullable=False))
        batch_op.add_column(sa.Column('attendance_sources', sa.String(length=40), server_default='',
                                      nullable=False))
        batch_op.create_check_constraint(op.f('ck_target_kind'), KINDS)
    op.create_index('ix_target_overall_unique', 'target', TARGET_KEY, unique=True,
                    sqlite_where=OVERALL_WHERE, postgresql_where=OVERALL_WHERE)
    op.execute('UPDATE target SET value = value * 100')
    op.execute('UPDATE event_quantity SET value = value * 100')

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('onsite_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('onsite_note', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('online_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('online_note', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('co_organization_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('co_organizers', sa.String(length=200), server_default='', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_event_co_organization_id_organization'), 'organization',
                                    ['co_organization_id'], ['id'])

    op.create_table(
        'event_program',
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('program_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_program_event_id_event'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['program_id'], ['program.id'], name=op.f('fk_event_program_program_id_program'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('event_id', 'program_id', name=op.f('pk_event_program')),
    )
    op.create_index(op.f('ix_event_program_program_id'), 'event_program', ['program_id'], unique=False)

    op.create_table(
        'reported_figure',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('program_id', sa.Integer(), nullable=False),
        sa.Column('label', sa.String(length=40), nullable=False),
        sa.Column('unit', sa.String(length=10), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('period', sa.Date(), nullable=False),
        sa.Column('value', sa.Integer(), nullable=True),
        sa.Column('numerator', sa.Integer(), nullable=True),
        sa.Column('denominator', sa.Integer(), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('reject_reason', sa.String(length=200), nullable=False),
        sa.Column('submitted_by_id', sa.Integer(), nullable=True),
        sa.Column('submitted_at', sa.DateTime(), nullable=True),
        sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
        sa.Column('reviewed_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name=op.f('ck_reported_figure_status')),
        sa.ForeignKeyConstraint(['organization_id'], ['organization.id'],
                                name=op.f('fk_reported_figure_organization_id_organization')),
        sa.ForeignKeyConstraint(['program_id'], ['program.id'], name=op.f('fk_reported_figure_program_id_program'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['reviewed_by_id'], ['user.id'], name=op.f('fk_reported_figure_reviewed_by_id_user')),
        sa.ForeignKeyConstraint(['submitted_by_id'], ['user.id'],
                                name=op.f('fk_reported_figure_submitted_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reported_figure')),
        sa.UniqueConstraint('program_id', 'label', 'organization_id', 'period',
                            name=op.f('uq_reported_figure_program_id_label_organization_id_period')),
    )
    op.create_index('ix_reported_figure_program_status', 'reported_figure', ['program_id', 'status'], unique=False)
    op.create_index(op.f('ix_reported_figure_organization_id'), 'reported_figure', ['organization_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_reported_figure_organization_id'), table_name='reported_figure')
    op.drop_index('ix_reported_figure_program_status', table_name='reported_figure')
    op.drop_table('reported_figure')
    op.drop_index(op.f('ix_event_program_program_id'), table_name='event_program')
    op.drop_table('event_program')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_event_co_organization_id_organization'), type_='foreignkey')
        batch_op.drop_column('co_organizers')
        batch_op.drop_column('co_organization_id')
        batch_op.drop_column('online_note')
        batch_op.drop_column('online_count')
        batch_op.drop_column('onsite_note')
        batch_op.drop_column('onsite_count')
    # Fractions of a unit cannot go back to whole numbers: they are rounded down.
    op.execute('UPDATE event_quantity SET value = value / 100')
    op.execute('UPDATE target SET value = value / 100')
    op.drop_index('ix_target_overall_unique', table_name='target')
    with op.batch_alter_table('target', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_target_kind'), type_='check')
        batch_op.drop_column('attendance_sources')
        batch_op.drop_column('kind')
    op.create_index('ix_target_overall_unique', 'target', TARGET_KEY, unique=True,
                    sqlite_where=OVERALL_WHERE, postgresql_where=OVERALL_WHERE)
