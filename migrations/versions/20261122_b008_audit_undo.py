"""audit: check-in undo records become audit entries (P3)

Revision ID: a1c0c0a1c008
Revises: a1c0c0a1c007
Create Date: 2026-11-22 07:00:00

Each check_in_undo row is copied into audit_entry (action checkin.undo, the undoing user, the
event's unit, a masked summary, the row's data in `changes`) and the table is dropped. The undone
check-in row was deleted at the time, so its id is not known: object_id stays empty and
`changes.check_in_undo_id` names the old row.
"""
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = 'a1c0c0a1c008'
down_revision = 'a1c0c0a1c007'
branch_labels = None
depends_on = None

_METHOD_LABELS = {"self": "扫码自助", "staff": "工作人员扫码", "manual": "人工补录", "import": "纸质导入"}

_audit = sa.table(
    'audit_entry',
    sa.column('at', sa.DateTime()), sa.column('actor_kind', sa.String()), sa.column('actor_id', sa.Integer()),
    sa.column('actor_name', sa.String()), sa.column('device_hash', sa.String()), sa.column('action', sa.String()),
    sa.column('object_type', sa.String()), sa.column('object_id', sa.Integer()),
    sa.column('organization_id', sa.Integer()), sa.column('summary', sa.Text()), sa.column('changes', sa.JSON()),
)


def _mask(name: str, phone: str) -> str:
    masked_phone = f"{phone[:3]}****{phone[7:]}" if len(phone) == 11 else "****"
    return f"{name[:1]}{'*' * max(1, len(name) - 1)} {masked_phone}" if name else masked_phone


def _iso(value: object) -> object:
    return value.isoformat(sep=" ", timespec="minutes") if isinstance(value, datetime) else value


def upgrade():
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT u.id, u.event_id, u.participant_id, u.checked_in_at, u.method, u.by_user_id, u.undone_at,"
        " u.undone_by_id, u.reason, e.organization_id, p.name, p.phone, usr.username"
        " FROM check_in_undo u JOIN event e ON e.id = u.event_id"
        " JOIN participant p ON p.id = u.participant_id LEFT JOIN \"user\" usr ON usr.id = u.undone_by_id"
        " ORDER BY u.id"
    ).columns(checked_in_at=sa.DateTime(), undone_at=sa.DateTime())).mappings().all()  # SQLite hands back text
    entries = []
    for r in rows:
        reason = r["reason"] or ""
        method = _METHOD_LABELS.get(r["method"], r["method"])
        summary = f"撤销签到：{_mask(r['name'] or '', r['phone'] or '')}（{method}）"
        entries.append({
            "at": r["undone_at"], "actor_kind": "user", "actor_id": r["undone_by_id"],
            "actor_name": r["username"] or "", "device_hash": "", "action": "checkin.undo",
            "object_type": "check_in", "object_id": None, "organization_id": r["organization_id"],
            "summary": summary + (f"，原因：{reason}" if reason else ""),
            "changes": {"event_id": r["event_id"], "participant_id": r["participant_id"],
                        "checked_in_at": _iso(r["checked_in_at"]), "method": r["method"],
                        "by_user_id": r["by_user_id"], "reason": reason, "check_in_undo_id": r["id"]},
        })
    if entries:
        op.bulk_insert(_audit, entries)
    with op.batch_alter_table('check_in_undo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_in_undo_event_id'))
    op.drop_table('check_in_undo')


def downgrade():
    # The table comes back with the undos the audit log holds; the entries stay (the log is append-only).
    op.create_table(
        'check_in_undo',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('checked_in_at', sa.DateTime(), nullable=False),
        sa.Column('method', sa.String(length=10), nullable=False),
        sa.Column('by_user_id', sa.Integer(), nullable=True),
        sa.Column('undone_at', sa.DateTime(), nullable=False),
        sa.Column('undone_by_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.CheckConstraint("method IN ('self', 'staff', 'manual', 'import')", name=op.f('ck_check_in_undo_method')),
        sa.ForeignKeyConstraint(['by_user_id'], ['user.id'], name=op.f('fk_check_in_undo_by_user_id_user')),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_check_in_undo_event_id_event')),
        sa.ForeignKeyConstraint(['participant_id'], ['participant.id'],
                                name=op.f('fk_check_in_undo_participant_id_participant')),
        sa.ForeignKeyConstraint(['undone_by_id'], ['user.id'], name=op.f('fk_check_in_undo_undone_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_check_in_undo')),
    )
    with op.batch_alter_table('check_in_undo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_in_undo_event_id'), ['event_id'], unique=False)
    bind = op.get_bind()
    rows = bind.execute(sa.select(_audit.c.at, _audit.c.actor_id, _audit.c.changes).where(
        _audit.c.action == 'checkin.undo', _audit.c.actor_id.is_not(None))).all()
    undo = sa.table('check_in_undo', *(sa.column(c) for c in (
        'event_id', 'participant_id', 'checked_in_at', 'method', 'by_user_id', 'undone_at', 'undone_by_id', 'reason')))
    back = []
    for at, actor_id, changes in rows:
        c = changes or {}
        if not c.get("event_id") or not c.get("participant_id"):
            continue
        checked_in_at = c.get("checked_in_at")
        back.append({
            "event_id": c["event_id"], "participant_id": c["participant_id"],
            "checked_in_at": datetime.fromisoformat(checked_in_at) if checked_in_at else at,
            "method": c.get("method") or "staff", "by_user_id": c.get("by_user_id"), "undone_at": at,
            "undone_by_id": actor_id, "reason": (c.get("reason") or "")[:200],
        })
    if back:
        op.bulk_insert(undo, back)
