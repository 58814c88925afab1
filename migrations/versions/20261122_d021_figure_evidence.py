"""programs: evidence for reported figures (S4)

Revision ID: a1c0c0a1c021
Revises: a1c0c0a1c020
Create Date: 2026-11-22 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a1c0c0a1c021'
down_revision = 'a1c0c0a1c020'
branch_labels = None
depends_on = None


def upgrade():
    # One optional evidence file per reported figure; the blob lives in the storage backend.
    with op.batch_alter_table('reported_figure') as batch:
        batch.add_column(sa.Column('evidence_key', sa.String(length=256), nullable=True))
        batch.add_column(sa.Column('evidence_name', sa.String(length=120), nullable=False, server_default=''))
        batch.add_column(sa.Column('evidence_type', sa.String(length=100), nullable=False, server_default=''))
        batch.add_column(sa.Column('evidence_size', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('reported_figure') as batch:
        batch.drop_column('evidence_size')
        batch.drop_column('evidence_type')
        batch.drop_column('evidence_name')
        batch.drop_column('evidence_key')
