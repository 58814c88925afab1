"""checkin: source of each check-in, pending review, details as given (P4)

Revision ID: a1c0c0a1c009
Revises: a1c0c0a1c008
Create Date: 2026-11-22 07:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a1c0c0a1c009'
down_revision = 'a1c0c0a1c008'
branch_labels = None
depends_on = None

_GIVEN = (
    ('name_given', sa.String(length=40)),
    ('workplace_given', sa.String(length=100)),
)
_SOURCE = (
    ('device_hash', sa.String(length=32)),
    ('client_ip', sa.String(length=50)),
    ('user_agent', sa.String(length=40)),
    ('pending_reason', sa.String(length=200)),
)


def upgrade():
    with op.batch_alter_table('participant') as batch:
        batch.add_column(sa.Column('first_organization_id', sa.Integer(), nullable=True))
        batch.create_index(batch.f('ix_participant_first_organization_id'), ['first_organization_id'])
        batch.create_foreign_key(batch.f('fk_participant_first_organization_id_organization'),
                                 'organization', ['first_organization_id'], ['id'])
    with op.batch_alter_table('check_in') as batch:
        for name, type_ in _GIVEN + _SOURCE:
            batch.add_column(sa.Column(name, type_, nullable=False, server_default=''))
        batch.add_column(sa.Column('status', sa.String(length=10), nullable=False, server_default='ok'))
        batch.add_column(sa.Column('reviewed_by_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('reviewed_at', sa.DateTime(), nullable=True))
        batch.create_foreign_key(batch.f('fk_check_in_reviewed_by_id_user'), 'user', ['reviewed_by_id'], ['id'])
        batch.create_check_constraint(op.f('ck_check_in_status'), "status IN ('ok', 'pending', 'confirmed')")
        batch.create_index(op.f('ix_check_in_event_device'), ['event_id', 'device_hash'])
    with op.batch_alter_table('registration') as batch:
        for name, type_ in _GIVEN:
            batch.add_column(sa.Column(name, type_, nullable=False, server_default=''))
    # Where each known person was first recorded: the organizer of their earliest check-in, else of
    # their earliest registration. People with neither stay NULL: only district staff may rename them.
    op.execute(
        "UPDATE participant SET first_organization_id = ("
        " SELECT e.organization_id FROM check_in c JOIN event e ON e.id = c.event_id"
        " WHERE c.participant_id = participant.id ORDER BY c.checked_in_at, c.id LIMIT 1)"
    )
    op.execute(
        "UPDATE participant SET first_organization_id = ("
        " SELECT e.organization_id FROM registration r JOIN event e ON e.id = r.event_id"
        " WHERE r.participant_id = participant.id ORDER BY r.created_at, r.id LIMIT 1)"
        " WHERE first_organization_id IS NULL"
    )


def downgrade():
    with op.batch_alter_table('registration') as batch:
        for name, _ in reversed(_GIVEN):
            batch.drop_column(name)
    with op.batch_alter_table('check_in') as batch:
        batch.drop_index('ix_check_in_event_device')
        batch.drop_constraint(op.f('ck_check_in_status'), type_='check')
        batch.drop_constraint(op.f('fk_check_in_reviewed_by_id_user'), type_='foreignkey')
        batch.drop_column('reviewed_at')
        batch.drop_column('reviewed_by_id')
        batch.drop_column('status')
        for name, _ in reversed(_GIVEN + _SOURCE):
            batch.drop_column(name)
    with op.batch_alter_table('participant') as batch:
        batch.drop_constraint(op.f('fk_participant_first_organization_id_organization'), type_='foreignkey')
        batch.drop_index('ix_participant_first_organization_id')
        batch.drop_column('first_organization_id')
