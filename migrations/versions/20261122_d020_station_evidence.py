"""evidence: attachments for stations (S3)

An attachment belongs to an event or to a station (exactly one): event_id becomes nullable, station_id
is added, and a CHECK keeps exactly one of them set.

Revision ID: a1c0c0a1c020
Revises: a1c0c0a1c019
Create Date: 2026-11-22 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a1c0c0a1c020'
down_revision = 'a1c0c0a1c019'
branch_labels = None
depends_on = None

COVER_WHERE = sa.text('is_cover')
ONE_OWNER = '(event_id IS NULL) <> (station_id IS NULL)'


def _drop_cover_index():
    # SQLite's batch mode rebuilds the table; the partial cover index is recreated by hand around it.
    op.drop_index('uq_event_attachment_cover', table_name='event_attachment')


def _create_cover_index():
    op.create_index('uq_event_attachment_cover', 'event_attachment', ['event_id'], unique=True,
                    sqlite_where=COVER_WHERE, postgresql_where=COVER_WHERE)


def upgrade():
    _drop_cover_index()
    with op.batch_alter_table('event_attachment') as batch_op:
        batch_op.add_column(sa.Column('station_id', sa.Integer(), nullable=True))
        batch_op.alter_column('event_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(op.f('fk_event_attachment_station_id_station'), 'station', ['station_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.create_check_constraint(op.f('ck_event_attachment_one_owner'), ONE_OWNER)
        batch_op.create_index(op.f('ix_event_attachment_station_id'), ['station_id'], unique=False)
    _create_cover_index()


def downgrade():
    # Station photos have no place in the older schema; their rows go (their blobs stay in storage).
    op.execute("DELETE FROM event_attachment WHERE station_id IS NOT NULL")
    _drop_cover_index()
    with op.batch_alter_table('event_attachment') as batch_op:
        batch_op.drop_index(op.f('ix_event_attachment_station_id'))
        batch_op.drop_constraint(op.f('ck_event_attachment_one_owner'), type_='check')
        batch_op.drop_constraint(op.f('fk_event_attachment_station_id_station'), type_='foreignkey')
        batch_op.alter_column('event_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('station_id')
    _create_cover_index()
