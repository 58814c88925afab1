"""core: phone verification codes (hashed, short-lived)

Revision ID: a1c0c0a1c005
Revises: a1c0c0a1c004
Create Date: 2026-11-22 07:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a1c0c0a1c005'
down_revision = 'a1c0c0a1c004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'phone_verification',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('phone', sa.String(length=11), nullable=False),
        sa.Column('purpose', sa.String(length=32), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('last_sent_at', sa.DateTime(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('consumed_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_verification')),
    )
    op.create_index('ix_phone_verification_phone_purpose', 'phone_verification', ['phone', 'purpose', 'id'])


def downgrade():
    op.drop_index('ix_phone_verification_phone_purpose', table_name='phone_verification')
    op.drop_table('phone_verification')
