"""imports: previews stored in the database

Revision ID: a1c0c0a1c003
Revises: a1c0c0a1c002
Create Date: 2026-11-22 06:00:00

Parsed uploads used to wait as JSON files under instance/imports/; they hold names and phone
numbers, so they now live in this table and expire. Files left there by the old code are not
migrated (a preview lives one day): delete instance/imports/ after upgrading.
"""
import sqlalchemy as sa
from alembic import op

revision = 'a1c0c0a1c003'
down_revision = 'a1c0c0a1c002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_preview',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_import_preview_created_by_id_user'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_preview')),
    sa.UniqueConstraint('token', name=op.f('uq_import_preview_token'))
    )
    with op.batch_alter_table('import_preview', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_preview_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_preview_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('import_preview', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_preview_expires_at'))
        batch_op.drop_index(batch_op.f('ix_import_preview_created_by_id'))
    op.drop_table('import_preview')
