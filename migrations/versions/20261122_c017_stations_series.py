"""stations and series (R8)

Service stations with their program per year, daily visits (one per person per station per day) and
bulk services; series of events with completion thresholds; targets that count a series as one 项.

Revision ID: a1c0c0a1c017
Revises: a1c0c0a1c016
Create Date: 2026-11-22 08:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a1c0c0a1c017'
down_revision = 'a1c0c0a1c016'
branch_labels = None
depends_on = None

VISIT_METHODS = "method IN ('self', 'staff')"
SERIES_KINDS = "kind IN ('course', 'retreat', 'set')"


def upgrade():
    op.create_table(
        'station',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=16), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('address', sa.String(length=200), nullable=False),
        sa.Column('opening_hours', sa.String(length=100), nullable=False),
        sa.Column('services', sa.Text(), nullable=False),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_station_created_by_id_user')),
        sa.ForeignKeyConstraint(['organization_id'], ['organization.id'],
                                name=op.f('fk_station_organization_id_organization')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_station')),
        sa.UniqueConstraint('code', name=op.f('uq_station_code')),
    )
    op.create_index(op.f('ix_station_organization_id'), 'station', ['organization_id'], unique=False)

    op.create_table(
        'station_program',
        sa.Column('station_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('program_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['program_id'], ['program.id'], name=op.f('fk_station_program_program_id_program'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['station_id'], ['station.id'], name=op.f('fk_station_program_station_id_station'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('station_id', 'year', name=op.f('pk_station_program')),
    )
    op.create_index(op.f('ix_station_program_program_id'), 'station_program', ['program_id'], unique=False)

    op.create_table(
        'station_visit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('station_id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('visit_date', sa.Date(), nullable=False),
        sa.Column('visited_at', sa.DateTime(), nullable=False),
        sa.Column('method', sa.String(length=10), nullable=False),
        sa.Column('services_used', sa.String(length=300), nullable=False),
        sa.Column('name_given', sa.String(length=40), nullable=False),
        sa.Column('device_hash', sa.String(length=32), nullable=False),
        sa.Column('by_user_id', sa.Integer(), nullable=True),
        sa.CheckConstraint(VISIT_METHODS, name=op.f('ck_station_visit_method')),
        sa.ForeignKeyConstraint(['by_user_id'], ['user.id'], name=op.f('fk_station_visit_by_user_id_user')),
        sa.ForeignKeyConstraint(['participant_id'], ['participant.id'],
                                name=op.f('fk_station_visit_participant_id_participant')),
        sa.ForeignKeyConstraint(['station_id'], ['station.id'], name=op.f('fk_station_visit_station_id_station'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_station_visit')),
        sa.UniqueConstraint('station_id', 'participant_id', 'visit_date',
                            name=op.f('uq_station_visit_station_id_participant_id_visit_date')),
    )
    op.create_index(op.f('ix_station_visit_participant_id'), 'station_visit', ['participant_id'], unique=False)
    op.create_index('ix_station_visit_station_date', 'station_visit', ['station_id', 'visit_date'], unique=False)

    op.create_table(
        'station_supply',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('station_id', sa.Integer(), nullable=False),
        sa.Column('supply_date', sa.Date(), nullable=False),
        sa.Column('label', sa.String(length=40), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('unit', sa.String(length=10), nullable=False),
        sa.Column('note', sa.String(length=200), nullable=False),
        sa.Column('by_user_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['by_user_id'], ['user.id'], name=op.f('fk_station_supply_by_user_id_user')),
        sa.ForeignKeyConstraint(['station_id'], ['station.id'], name=op.f('fk_station_supply_station_id_station'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_station_supply')),
    )
    op.create_index('ix_station_supply_station_date', 'station_supply', ['station_id', 'supply_date'], unique=False)

    op.create_table(
        'series',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('program_id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=120), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('threshold_percent', sa.Integer(), nullable=False),
        sa.Column('hours', sa.Integer(), nullable=False),
        sa.Column('certificates_enabled', sa.Boolean(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(SERIES_KINDS, name=op.f('ck_series_kind')),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_series_created_by_id_user')),
        sa.ForeignKeyConstraint(['organization_id'], ['organization.id'],
                                name=op.f('fk_series_organization_id_organization')),
        sa.ForeignKeyConstraint(['program_id'], ['program.id'], name=op.f('fk_series_program_id_program')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_series')),
    )
    op.create_index(op.f('ix_series_organization_id'), 'series', ['organization_id'], unique=False)
    op.create_index(op.f('ix_series_program_id'), 'series', ['program_id'], unique=False)

    op.create_table(
        'series_event',
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('series_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_series_event_event_id_event'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['series_id'], ['series.id'], name=op.f('fk_series_event_series_id_series'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('event_id', name=op.f('pk_series_event')),
    )
    op.create_index(op.f('ix_series_event_series_id'), 'series_event', ['series_id'], unique=False)

    with op.batch_alter_table('target', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series_as_one', sa.Boolean(), server_default=sa.text('false'),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('target', schema=None) as batch_op:
        batch_op.drop_column('series_as_one')
    op.drop_index(op.f('ix_series_event_series_id'), table_name='series_event')
    op.drop_table('series_event')
    op.drop_index(op.f('ix_series_program_id'), table_name='series')
    op.drop_index(op.f('ix_series_organization_id'), table_name='series')
    op.drop_table('series')
    op.drop_index('ix_station_supply_station_date', table_name='station_supply')
    op.drop_table('station_supply')
    op.drop_index('ix_station_visit_station_date', table_name='station_visit')
    op.drop_index(op.f('ix_station_visit_participant_id'), table_name='station_visit')
    op.drop_table('station_visit')
    op.drop_index(op.f('ix_station_program_program_id'), table_name='station_program')
    op.drop_table('station_program')
    op.drop_index(op.f('ix_station_organization_id'), table_name='station')
    op.drop_table('station')
