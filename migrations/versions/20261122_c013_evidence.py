"""events: evidence attachments and summaries (R3)

Revision ID: a1c0c0a1c013
Revises: a1c0c0a1c012
Create Date: 2026-11-22 08:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a1c0c0a1c013'
down_revision = 'a1c0c0a1c012'
branch_labels = None
depends_on = None


COVER_WHERE = sa.text('is_cover')


def upgrade():
    op.create_table(
        'event_attachment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('storage_key', sa.String(length=256), nullable=False),
        sa.Column('thumb_key', sa.String(length=256), nullable=True),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('original_name', sa.String(length=120), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('width', sa.Integer(), nullable=True),
        sa.Column('height', sa.Integer(), nullable=True),
        sa.Column('taken_at', sa.DateTime(), nullable=True),
        sa.Column('uploaded_at', sa.DateTime(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('is_cover', sa.Boolean(), server_default=sa.text('false'), nullable=False),
        sa.Column('caption', sa.String(length=100), server_default='', nullable=False),
        sa.CheckConstraint("kind IN ('photo', 'document')", name=op.f('ck_event_attachment_kind')),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_attachment_event_id_event'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_event_attachment_uploaded_by_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_event_attachment')),
        sa.UniqueConstraint('storage_key', name=op.f('uq_event_attachment_storage_key')),
    )
    op.create_index(op.f('ix_event_attachment_event_id'), 'event_attachment', ['event_id'], unique=False)
    # One cover photo per event.
    op.create_index('uq_event_attachment_cover', 'event_attachment', ['event_id'], unique=True,
                    sqlite_where=COVER_WHERE, postgresql_where=COVER_WHERE)

    op.create_table(
        'event_summary',
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_summary_event_id_event'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_event_summary_updated_by_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('event_id', name=op.f('pk_event_summary')),
    )


def downgrade():
    op.drop_table('event_summary')
    op.drop_index('uq_event_attachment_cover', table_name='event_attachment')
    op.drop_index(op.f('ix_event_attachment_event_id'), table_name='event_attachment')
    op.drop_table('event_attachment')
