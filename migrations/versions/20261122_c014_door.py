"""checkin: voided check-ins and door-staff changes (R5)

Revision ID: a1c0c0a1c014
Revises: a1c0c0a1c013
Create Date: 2026-11-22 08:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a1c0c0a1c014'
down_revision = 'a1c0c0a1c013'
branch_labels = None
depends_on = None


def upgrade():
    # A void keeps the row (evidence) and stops it counting; who, when and why are kept on it.
    with op.batch_alter_table('check_in') as batch:
        batch.add_column(sa.Column('voided_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('voided_by_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('void_reason', sa.String(length=200), nullable=False, server_default=''))
        batch.create_foreign_key(batch.f('fk_check_in_voided_by_id_user'), 'user', ['voided_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('check_in') as batch:
        batch.drop_constraint(batch.f('fk_check_in_voided_by_id_user'), type_='foreignkey')
        batch.drop_column('void_reason')
        batch.drop_column('voided_by_id')
        batch.drop_column('voided_at')
