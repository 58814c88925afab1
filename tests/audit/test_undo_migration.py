"""Migration a1c0c0a1c008 turns each check_in_undo row into a checkin.undo audit entry, then drops the table."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from eventsvc import create_app
from eventsvc.extensions import db

# Values the check constraints accept; other required columns get a plain value of their type.
FIXED = {("organization", "kind"): "street", ("user", "role"): "admin", ("event", "status"): "published",
         ("event", "registration_mode"): "off", ("event", "qr_mode"): "static", ("check_in_undo", "method"): "staff",
         ("participant", "phone"): "13812345678", ("participant", "name"): "张三丰", ("user", "username"): "org_a",
         ("check_in_undo", "reason"): "扫错了", ("organization", "path"): "/1/"}


def _insert(conn: sa.Connection, meta: sa.MetaData, table: str, **values: Any) -> None:
    """Insert one row, filling the NOT NULL columns the test does not care about."""
    t = meta.tables[table]
    row: dict[str, Any] = {}
    for col in t.columns:
        if col.name in values or col.primary_key or col.nullable or col.server_default is not None:
            continue
        fixed = FIXED.get((table, col.name))
        if fixed is not None:
            row[col.name] = fixed
        elif isinstance(col.type, sa.Boolean):
            row[col.name] = False
        elif isinstance(col.type, (sa.Integer, sa.Numeric)):
            row[col.name] = 1
        elif isinstance(col.type, (sa.DateTime, sa.Date)):
            row[col.name] = datetime(2026, 3, 1, 1, 0)
        elif isinstance(col.type, sa.JSON):
            row[col.name] = {}
        else:
            row[col.name] = f"{table}-{col.name}"[: getattr(col.type, "length", None) or 50]
    row.update(values)
    conn.execute(t.insert().values(**row))


def test_undo_rows_become_audit_entries(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'undo.sqlite3'}"})
    with app.app_context():
        upgrade(revision="a1c0c0a1c007")
        meta = sa.MetaData()
        meta.reflect(db.engine)
        with db.engine.begin() as conn:
            _insert(conn, meta, "organization", id=1, name="平湖街道总工会", parent_id=None)
            _insert(conn, meta, "user", id=1, organization_id=1)
            _insert(conn, meta, "program", id=1, organization_id=1, year=2026)
            _insert(conn, meta, "event", id=1, program_id=1, organization_id=1, code="abcd1234")
            _insert(conn, meta, "participant", id=1)
            _insert(conn, meta, "check_in_undo", id=7, event_id=1, participant_id=1, by_user_id=1, undone_by_id=1,
                    checked_in_at=datetime(2026, 3, 1, 1, 5), undone_at=datetime(2026, 3, 1, 1, 7))
        upgrade(revision="a1c0c0a1c008")
        with db.engine.connect() as conn:
            assert "check_in_undo" not in sa.inspect(conn).get_table_names()
            entry = conn.execute(sa.text(
                "SELECT at, actor_kind, actor_id, actor_name, action, object_type, organization_id, summary, changes"
                " FROM audit_entry")).mappings().one()
        assert (entry["actor_kind"], entry["actor_id"], entry["actor_name"]) == ("user", 1, "org_a")
        assert (entry["action"], entry["object_type"], entry["organization_id"]) == ("checkin.undo", "check_in", 1)
        assert str(entry["at"]).startswith("2026-03-01 01:07")
        assert "张**" in entry["summary"] and "138****5678" in entry["summary"] and "扫错了" in entry["summary"]
        assert "13812345678" not in entry["summary"] + str(entry["changes"])
        downgrade(revision="a1c0c0a1c007")
        with db.engine.connect() as conn:
            back = conn.execute(sa.text("SELECT event_id, participant_id, undone_by_id, reason, method"
                                        " FROM check_in_undo")).one()
        assert tuple(back) == (1, 1, 1, "扫错了", "staff")
        db.engine.dispose()
