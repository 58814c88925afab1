"""notices: outbox and reminder preferences (R6)

Revision ID: a1c0c0a1c015
Revises: a1c0c0a1c014
Create Date: 2026-11-22 08:00:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = 'a1c0c0a1c015'
down_revision = 'a1c0c0a1c014'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
