"""privacy: purge covers notices and station visits (S1)

Revision ID: a1c0c0a1c019
Revises: a1c0c0a1c018
Create Date: 2026-11-22 09:00:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = 'a1c0c0a1c019'
down_revision = 'a1c0c0a1c018'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
