"""events: evidence attachments and summaries (R3)

Revision ID: a1c0c0a1c013
Revises: a1c0c0a1c012
Create Date: 2026-11-22 08:00:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = 'a1c0c0a1c013'
down_revision = 'a1c0c0a1c012'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
