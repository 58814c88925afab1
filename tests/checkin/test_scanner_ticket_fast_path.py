"""A staff ticket scan through the fast path (one driver read of scan id, ticket, holder and check-in; on
PostgreSQL one statement for the check-in, its counts, audit entry and scan record) answers and stores exactly
what the ORM path (registration_by_token, record, step by step) did."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from eventsvc.audit import operations as audit_operations
from eventsvc.checkin.models import Registration, ScanRecord
from eventsvc.checkin.operations import Scan, check_in, process_scan, register
from eventsvc.checkin.operations import checkins as checkins_module
from eventsvc.checkin.operations import scans as scans_module
from eventsvc.checkin.queries import registration_by_token, scan_ticket_at_event
from eventsvc.checkin.scanner.answers import scan_answer
from eventsvc.core.timeutil import utcnow
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.orgs.models import User

_TABLES = {
    "check_in": ("event_id", "participant_id", "checked_in_at", "method", "by_user_id", "registration_id",
                 "checked_out_at", "checked_out_by_id", "name_given", "workplace_given", "device_hash", "client_ip",
                 "user_agent", "status", "pending_reason"),
    "audit_entry": ("at", "actor_kind", "actor_id", "actor_name", "device_hash", "action", "object_type",
                    "object_id", "organization_id", "event_id", "summary", "CAST(changes AS TEXT)"),
    "scan_record": ("client_scan_id", "event_id", "user_id", "scanned_at", "received_at", "outcome", "code",
                    "participant_id", "check_in_id", "checked_in_at", "checked_out_at", "attempts"),
    "event_count": ("event_id", "seq", "checkins", "pending", "by_self", "by_staff", "by_manual", "by_import"),
}


def _orm_ticket(client_scan_id: str, token: str | None,
               event: Event) -> tuple[int | None, Registration | None, int | None]:
    """The scanner's reads before the fast path: the scan id, then the ORM query. The last value is never None,
    so check_in reads the holder's check-in itself, as it did then."""
    seen = db.session.scalar(select(ScanRecord.id).where(ScanRecord.client_scan_id == client_scan_id))
    return seen, registration_by_token(token), -1


@pytest.fixture
def scene(tree, create_program, create_event) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    program = create_program(org=tree["a"])
    event = create_event(program=program, org=tree["a"], starts_in=timedelta(minutes=30), registration_mode="on")
    other = create_event(program=program, org=tree["a"], starts_in=timedelta(minutes=30), registration_mode="on")
    people = [{"name": f"快票职工{i}", "phone": f"1371111{i:04d}", "workplace": "顺丰速运", "group": "快递员"}
              for i in range(2)]
    regs = [register(event, p, by=None) for p in people]
    foreign = register(other, {"name": "别场职工", "phone": "13722220000"}, by=None)
    db.session.commit()
    return {"event_id": event.id, "tokens": [r.token for r in regs], "foreign": foreign.token,
            "checker_id": tree["checker_a"].id}


@pytest.fixture
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    now = utcnow().replace(microsecond=123456)
    monkeypatch.setattr(audit_operations, "utcnow", lambda: now)
    return now


def _capture() -> tuple[list[str], Any]:
    seen: list[str] = []

    def listener(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    return seen, listener


def _scan(scene: dict[str, Any], code: str, now: datetime,
          mode: str = "in") -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """Scan `code` in a clean session; return the answer, the rows written (ids replaced by their role) and the
    SQL run; then roll everything back."""
    db.session.expunge_all()  # nothing known in advance: the scan builds what it needs, as in a request
    event = db.session.get_one(Event, scene["event_id"])
    checker = db.session.get_one(User, scene["checker_id"])
    event.organization, checker.organization  # noqa: B018  (loaded like the request's own stamps)
    seen, listener = _capture()
    engine = db.session.get_bind()
    sa_event.listen(engine, "before_cursor_execute", listener)
    try:
        result = process_scan(event, Scan("fast-path-scan-0001", code=code, mode=scans_module.Mode(mode),
                                          scanned_at=now - timedelta(seconds=5)), by=checker, now=now)
        answer = scan_answer(event, result, viewer=checker)
        db.session.flush()
    finally:
        sa_event.remove(engine, "before_cursor_execute", listener)
    conn = db.session.connection()
    check_in_id = answer.get("check_in_id")
    rows: dict[str, Any] = {}
    for table, columns in _TABLES.items():
        order = "event_id" if table == "event_count" else "id"
        found = conn.exec_driver_sql(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}").all()
        rows[table] = [_mark_check_in(dict(zip(columns, row, strict=True)), check_in_id) for row in found]
    if check_in_id is not None:
        answer = {**answer, "check_in_id": "CHECK_IN"}
    db.session.rollback()
    return answer, rows, seen


def _mark_check_in(row: dict[str, Any], check_in_id: int | None) -> dict[str, Any]:
    """The scan's check-in id as a role: PostgreSQL's sequences do not roll back, so a second run gets another."""
    if check_in_id is not None and row.get("check_in_id") == check_in_id:
        row["check_in_id"] = "CHECK_IN"
    if check_in_id is not None and row.get("object_type") == "check_in" and row["object_id"] == check_in_id:
        row["object_id"] = "CHECK_IN"
    return row


@pytest.fixture
def orm_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Switch the scan to the ORM path it replaced, inside a `with`."""
    from contextlib import contextmanager

    @contextmanager
    def use() -> Iterator[None]:
        with monkeypatch.context() as m:
            m.setattr(scans_module, "scan_ticket_at_event", _orm_ticket)
            m.setattr(checkins_module, "record_now", audit_operations.record)
            m.setattr(checkins_module, "_one_statement", lambda _conn: False)  # PostgreSQL's too: step by step
            yield

    yield use


@pytest.mark.parametrize("case", ["url", "bare", "foreign", "unknown", "out_not_checked_in"])
def test_ticket_scan_answers_and_stores_as_the_orm_path(scene, fixed_now, orm_path, case) -> None:  # type: ignore[no-untyped-def]
    token = scene["tokens"][0]
    code, mode = {"url": (f"http://127.0.0.1:5000/t/{token}", "in"), "bare": (token, "in"),
                  "foreign": (scene["foreign"], "in"), "unknown": ("unknown-ticket-0001", "in"),
                  "out_not_checked_in": (token, "out")}[case]
    fast_answer, fast_rows, fast_sql = _scan(scene, code, fixed_now, mode)
    with orm_path():
        orm_answer, orm_rows, _ = _scan(scene, code, fixed_now, mode)
    assert fast_answer == orm_answer
    assert fast_rows == orm_rows
    if case in ("url", "bare"):
        assert fast_answer["outcome"] == "success" and fast_answer["name"] == "快票职工0"
        assert fast_rows["audit_entry"][-1]["action"] == "checkin.create"
        # One read of registration, participant and check-in: nothing loads them again (no lazy load).
        reads = [s for s in fast_sql if s.lstrip().upper().startswith("SELECT")
                 and any(f"FROM {t}" in s or f"JOIN {t}" in s for t in ("registration", "participant", "check_in"))]
        assert len(reads) == 1, reads


def test_second_scan_of_a_checked_in_ticket_answers_already(scene, fixed_now, orm_path) -> None:  # type: ignore[no-untyped-def]
    event = db.session.get_one(Event, scene["event_id"])
    checker = db.session.get_one(User, scene["checker_id"])
    reg = registration_by_token(scene["tokens"][1])
    assert reg is not None
    check_in(event, reg.participant, by=checker, method="staff", registration=reg)
    db.session.commit()
    code = scene["tokens"][1]
    fast_answer, fast_rows, _ = _scan(scene, code, fixed_now)
    with orm_path():
        orm_answer, orm_rows, _ = _scan(scene, code, fixed_now)
    assert fast_answer["outcome"] == "already"
    assert (fast_answer, fast_rows) == (orm_answer, orm_rows)


def test_scan_ticket_at_event_sets_what_the_scan_uses(scene) -> None:  # type: ignore[no-untyped-def]
    db.session.expunge_all()
    event = db.session.get_one(Event, scene["event_id"])
    seen, reg, check_in_id = scan_ticket_at_event("never-seen-scan", scene["tokens"][0], event)
    assert seen is None and reg is not None and check_in_id is None
    loaded = set(reg.__dict__) - {"_sa_instance_state"}
    assert {"id", "event_id", "participant_id", "token", "status", "name_given", "workplace_given",
            "participant"} <= loaded
    assert {"id", "phone", "name", "workplace", "group", "first_organization_id"} <= set(reg.participant.__dict__)
    assert reg is registration_by_token(scene["tokens"][0])  # the same identity the ORM query answers
    assert reg.created_at is not None  # columns not read load when touched
    assert scan_ticket_at_event("s", None, event) == (None, None, None)
    assert scan_ticket_at_event("s", "x" * 41, event) == (None, None, None)
