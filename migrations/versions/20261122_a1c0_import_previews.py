"""imports: previews stored in the database

Revision ID: a1c0c0a1c003
Revises: a1c0c0a1c002
Create Date: 2026-11-22 06:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = 'a1c0c0a1c003'
down_revision = 'a1c0c0a1c002'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
