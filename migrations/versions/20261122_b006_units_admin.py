"""orgs: unit administration fields (P1)

Revision ID: a1c0c0a1c006
Revises: a1c0c0a1c005
Create Date: 2026-11-22 07:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a1c0c0a1c006'
down_revision = 'a1c0c0a1c005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subtype', sa.String(length=10), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('contact_name', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('contact_phone', sa.String(length=20), nullable=False, server_default=''))
        batch_op.create_check_constraint(
            op.f('ck_organization_subtype'), "subtype IN ('', 'community', 'park', 'building', 'industry')")


def downgrade():
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_organization_subtype'), type_='check')
        batch_op.drop_column('contact_phone')
        batch_op.drop_column('contact_name')
        batch_op.drop_column('subtype')
