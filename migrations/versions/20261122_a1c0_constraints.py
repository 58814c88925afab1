"""constraints: unique programs and targets, CHECK on status/method/role values

The operations already refuse duplicates and unknown values; these make the database refuse them
too. Values are written out here (not imported from the models) so the migration stays what it was.

Revision ID: a1c0c0a1c001
Revises: 0c307f0924b7
Create Date: 2026-11-22 06:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a1c0c0a1c001'
down_revision = '0c307f0924b7'
branch_labels = None
depends_on = None

# (table, column, allowed values): each becomes CHECK (column IN (...)) named ck_<table>_<column>.
CHECKS = [
    ('organization', 'kind', ('district', 'department', 'street', 'federation', 'workplace')),
    ('user', 'role', ('admin', 'organizer', 'checker', 'viewer')),
    ('target', 'metric', ('sessions', 'attendances', 'participants', 'custom')),
    ('event', 'status', ('draft', 'published', 'cancelled')),
    ('event', 'registration_mode', ('off', 'on')),
    ('event', 'qr_mode', ('static', 'dynamic')),
    ('check_in', 'method', ('self', 'staff', 'manual', 'import')),
    ('check_in_undo', 'method', ('self', 'staff', 'manual', 'import')),
    ('registration', 'status', ('registered', 'waitlisted', 'cancelled')),
]
TARGET_KEY = ['program_id', 'metric', 'label', 'level', 'organization_id']
OVERALL_WHERE = sa.text('organization_id IS NULL')


def _refuse_duplicates():
    """Stop with a readable message if existing rows would break the new unique keys."""
    conn = op.get_bind()
    programs = conn.execute(sa.text(
        'SELECT organization_id, year, name FROM program GROUP BY organization_id, year, name HAVING count(*) > 1'
    )).all()
    targets = conn.execute(sa.text(
        'SELECT program_id, metric, label, level, organization_id FROM target '
        'GROUP BY program_id, metric, label, level, organization_id HAVING count(*) > 1'
    )).all()
    if programs or targets:
        raise RuntimeError(
            'Duplicate rows must be merged by hand before this migration: '
            f'programs (organization_id, year, name) {programs}; '
            f'targets (program_id, metric, label, level, organization_id) {targets}'
        )


def upgrade():
    _refuse_duplicates()
    with op.batch_alter_table('program', schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f('uq_program_organization_id_year_name'), ['organization_id', 'year', 'name'])
    with op.batch_alter_table('target', schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f('uq_target_program_id_metric_label_level_organization_id'), TARGET_KEY)
    for table in dict.fromkeys(t for t, _, _ in CHECKS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for _, column, values in (c for c in CHECKS if c[0] == table):
                allowed = ', '.join(f"'{v}'" for v in values)
                batch_op.create_check_constraint(op.f(f'ck_{table}_{column}'), f'{column} IN ({allowed})')
    # A unique key never matches NULLs, so overall targets (no organization) need their own index.
    # Created last: SQLite's batch recreate of `target` above must not have to carry its WHERE.
    op.create_index('ix_target_overall_unique', 'target', TARGET_KEY[:4], unique=True,
                    sqlite_where=OVERALL_WHERE, postgresql_where=OVERALL_WHERE)


def downgrade():
    op.drop_index('ix_target_overall_unique', table_name='target')
    for table in reversed(list(dict.fromkeys(t for t, _, _ in CHECKS))):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for _, column, _values in (c for c in CHECKS if c[0] == table):
                batch_op.drop_constraint(op.f(f'ck_{table}_{column}'), type_='check')
    with op.batch_alter_table('target', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('uq_target_program_id_metric_label_level_organization_id'), type_='unique')
    with op.batch_alter_table('program', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_program_organization_id_year_name'), type_='unique')
