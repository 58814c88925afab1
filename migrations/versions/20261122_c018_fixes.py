"""fixes for issues 8-10 and reports (R1, R2, R4)

Revision ID: a1c0c0a1c018
Revises: a1c0c0a1c017
Create Date: 2026-11-22 08:00:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = 'a1c0c0a1c018'
down_revision = 'a1c0c0a1c017'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
