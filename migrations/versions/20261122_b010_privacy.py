"""privacy: retention and erasure (P6)

Revision ID: a1c0c0a1c010
Revises: a1c0c0a1c009
Create Date: 2026-11-22 07:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a1c0c0a1c010'
down_revision = 'a1c0c0a1c009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("anonymized_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("anonymized_at")
