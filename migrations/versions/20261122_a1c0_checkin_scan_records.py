"""checkin: scan records keep ids and outcome only; drop unused columns

Scan records stop copying names and phones (result_json) and keep the reason code, the ids and
the times instead; the scanner builds its answer from them. CheckIn.is_provisional goes: the server
decides every queued scan on arrival, so nothing ever set it.

Revision ID: a1c0c0a1c002
Revises: a1c0c0a1c001
Create Date: 2026-11-22 06:00:00

"""
import json

import sqlalchemy as sa
from alembic import op

revision = 'a1c0c0a1c002'
down_revision = 'a1c0c0a1c001'
branch_labels = None
depends_on = None

_scan = sa.table(
    'scan_record',
    sa.column('id', sa.Integer), sa.column('outcome', sa.String), sa.column('result_json', sa.Text),
    sa.column('code', sa.String), sa.column('participant_id', sa.Integer), sa.column('check_in_id', sa.Integer),
)


def _int(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def upgrade():
    with op.batch_alter_table('scan_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=30), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('participant_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('check_in_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('checked_in_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('checked_out_at', sa.DateTime(), nullable=True))

    # Keep the ids and the reason of stored answers; the names and phones in them are dropped.
    # Stored times were China-time display strings: take the times from the check-in itself instead.
    conn = op.get_bind()
    for row in conn.execute(sa.select(_scan.c.id, _scan.c.outcome, _scan.c.result_json)).all():
        try:
            data = json.loads(row.result_json or '{}')
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        conn.execute(_scan.update().where(_scan.c.id == row.id).values(
            code=str(data.get('code') or row.outcome)[:30],
            participant_id=_int(data.get('participant_id')),
            check_in_id=_int(data.get('check_in_id')),
        ))

    op.execute(
        "UPDATE scan_record SET "
        "checked_in_at = (SELECT c.checked_in_at FROM check_in c WHERE c.id = scan_record.check_in_id), "
        "checked_out_at = (SELECT c.checked_out_at FROM check_in c WHERE c.id = scan_record.check_in_id) "
        "WHERE check_in_id IS NOT NULL"
    )

    with op.batch_alter_table('scan_record', schema=None) as batch_op:
        batch_op.alter_column('code', server_default=None)
        batch_op.create_foreign_key(batch_op.f('fk_scan_record_participant_id_participant'),
                                    'participant', ['participant_id'], ['id'])
        batch_op.drop_column('result_json')

    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.drop_column('is_provisional')


def downgrade():
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_provisional', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.alter_column('is_provisional', server_default=None)

    with op.batch_alter_table('scan_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('result_json', sa.Text(), nullable=False, server_default='{}'))

    # The old answers carried names and phones; rebuild only what the ids and the outcome give.
    conn = op.get_bind()
    rows = conn.execute(sa.select(_scan.c.id, _scan.c.outcome, _scan.c.code, _scan.c.participant_id,
                                  _scan.c.check_in_id)).all()
    for row in rows:
        data = {'outcome': row.outcome, 'code': row.code, 'participant_id': row.participant_id,
                'check_in_id': row.check_in_id}
        conn.execute(_scan.update().where(_scan.c.id == row.id).values(result_json=json.dumps(data)))

    with op.batch_alter_table('scan_record', schema=None) as batch_op:
        batch_op.alter_column('result_json', server_default=None)
        batch_op.drop_constraint(batch_op.f('fk_scan_record_participant_id_participant'), type_='foreignkey')
        batch_op.drop_column('checked_out_at')
        batch_op.drop_column('checked_in_at')
        batch_op.drop_column('check_in_id')
        batch_op.drop_column('participant_id')
        batch_op.drop_column('code')
