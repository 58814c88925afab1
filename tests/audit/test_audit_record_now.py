"""record_now (the hot path's INSERT through the driver) stores exactly the row record() (the ORM) stores."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from eventsvc.audit import operations
from eventsvc.audit.models import AuditEntry
from eventsvc.audit.operations import WorkerActor, record, record_now
from eventsvc.extensions import db

AT = datetime(2026, 3, 4, 5, 6, 7, 891011)  # microseconds: SQLite keeps DATETIME as text, to the microsecond
_COLUMNS = [c.name for c in AuditEntry.__table__.columns if c.name != "id"]
# The stored values as the driver returns them; `changes` as its stored JSON text, so the serialization counts.
_RAW = ("SELECT " + ", ".join(f"CAST({c} AS TEXT)" if c == "changes" else c for c in _COLUMNS)
        + " FROM audit_entry WHERE id = :id")


def _raw_row(entry_id: int) -> dict[str, Any]:
    conn = db.session.connection()
    sql = _RAW.replace(":id", str(int(entry_id)))
    return dict(zip(_COLUMNS, conn.exec_driver_sql(sql).one(), strict=True))


def _last_id() -> int:
    return db.session.scalar(select(func.max(AuditEntry.id))) or 0


@pytest.fixture
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(operations, "utcnow", lambda: AT)


def _cases(tree: dict[str, Any], event: Any) -> list[tuple[Any, str, Any, dict[str, Any]]]:
    checker = tree["checker_a"]
    return [
        (checker, "checkin.create", event, {
            "summary": "扫码签到：张* 138****5678",
            "changes": {"participant_id": 7, "method": "staff", "phone": "13812345678", "password": "x",
                        "when": datetime(2026, 1, 2, 3, 4, 5), "day": date(2026, 1, 2), "amount": Decimal("3.20"),
                        "status": ["waitlisted", "registered"], "flag": True, "none": None, "名称": "中文"}}),
        (WorkerActor("d3v1c3"), "registration.cancel", event, {"summary": "取消报名"}),
        (None, "seed.load", None, {"object_type": "thing", "object_id": 42, "organization": tree["a"],
                                   "event_id": event.id, "summary": "长" * 2100}),
        (None, "nothing", None, {}),
        (checker, "event.update", None, {"changes": {"event_id": event.id, "title": ["旧", "新"]}}),
    ]


def test_record_now_stores_the_row_record_stores(fixed_now, tree, create_event) -> None:  # type: ignore[no-untyped-def]
    event = create_event(org=tree["a"])
    start = _last_id()
    for actor, action, obj, kwargs in _cases(tree, event):
        record(actor, action, obj, **kwargs)
        db.session.flush()
        by_orm = _last_id()
        record_now(actor, action, obj, **kwargs)
        fast = _last_id()
        assert fast > by_orm
        assert _raw_row(fast) == _raw_row(by_orm), action
    db.session.commit()
    # And read back through the model alike.
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.id > start).order_by(AuditEntry.id)).all()
    assert len(entries) == 2 * len(_cases(tree, event))
    for orm_entry, fast_entry in zip(entries[::2], entries[1::2], strict=True):
        assert {c: getattr(orm_entry, c) for c in _COLUMNS} == {c: getattr(fast_entry, c) for c in _COLUMNS}


def test_record_now_keeps_the_call_order_of_ids(tree, create_event) -> None:  # type: ignore[no-untyped-def]
    event = create_event(org=tree["a"])
    first = record(tree["checker_a"], "first", event)  # pending, not flushed yet
    record_now(tree["checker_a"], "second", event)
    db.session.commit()
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.id >= first.id)
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["first", "second"]


def test_record_now_rolls_back_with_the_transaction(tree, create_event) -> None:  # type: ignore[no-untyped-def]
    event = create_event(org=tree["a"])
    before = _last_id()
    record_now(tree["checker_a"], "checkin.create", event)
    db.session.rollback()
    assert _last_id() == before
