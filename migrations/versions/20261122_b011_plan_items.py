"""programs: plan item fields and unit aliases (P7)

Revision ID: a1c0c0a1c011
Revises: a1c0c0a1c010
Create Date: 2026-11-22 07:00:00

Programs carry the plan's section and whether the item has a quantitative target; one program per owner,
year and plan item number (re-import matches on it). Administrators extend the plan parser's unit aliases.
Existing duplicates of (organization, year, plan item) must be resolved before upgrading.
"""
import sqlalchemy as sa
from alembic import op

revision = 'a1c0c0a1c011'
down_revision = 'a1c0c0a1c010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('program', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plan_section', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('has_target', sa.Boolean(), nullable=False, server_default=sa.text('true')))
        batch_op.create_index('ix_program_plan_item_unique', ['organization_id', 'year', 'plan_item'], unique=True,
                              sqlite_where=sa.text("plan_item <> ''"), postgresql_where=sa.text("plan_item <> ''"))
    op.create_table('plan_unit_alias',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alias', sa.String(length=60), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'],
                            name=op.f('fk_plan_unit_alias_organization_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_unit_alias')),
    sa.UniqueConstraint('alias', name=op.f('uq_plan_unit_alias_alias'))
    )
    with op.batch_alter_table('plan_unit_alias', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_unit_alias_organization_id'), ['organization_id'], unique=False)


def downgrade():
    with op.batch_alter_table('plan_unit_alias', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_unit_alias_organization_id'))
    op.drop_table('plan_unit_alias')
    with op.batch_alter_table('program', schema=None) as batch_op:
        batch_op.drop_index('ix_program_plan_item_unique')
        batch_op.drop_column('has_target')
        batch_op.drop_column('plan_section')
