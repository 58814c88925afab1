"""programs: evidence for reported figures (S4)

Revision ID: a1c0c0a1c021
Revises: a1c0c0a1c020
Create Date: 2026-11-22 09:00:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = 'a1c0c0a1c021'
down_revision = 'a1c0c0a1c020'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
