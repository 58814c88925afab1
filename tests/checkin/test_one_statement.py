"""A check-in as one write: on PostgreSQL one statement (participant, check-in and counts; for a staff scan its
audit entry and the scan's record too) that commits itself; the same answers and counts as the step-by-step
path SQLite takes."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from eventsvc.audit.models import AuditEntry
from eventsvc.checkin.counters import EventCount
from eventsvc.checkin.models import CHECKIN_PENDING, SELF_SCAN, CheckIn, Participant, ScanRecord
from eventsvc.checkin.operations import (
    Scan,
    ScanRaced,
    Source,
    check_in,
    check_in_typed,
    process_scan,
    register,
    validate_person,
)
from eventsvc.checkin.operations import scans as scans_module
from eventsvc.checkin.queries import event_counts
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.orgs.models import User
from eventsvc.progress.counters import verify
from tests.statements import seen_statements

_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE


def _details(phone: str, name: str = "陈师傅") -> dict[str, str]:
    return validate_person(name, phone, "顺丰速运", "快递员")


def _on_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _open_transaction() -> bool:
    """Whether the session's database connection is inside a transaction now."""
    conn = db.session.connection()
    if not _on_postgresql():
        return bool(conn.connection.driver_connection.in_transaction)
    return conn.connection.driver_connection.info.transaction_status != _IDLE


def _as_the_view_has_them(*objects: object) -> None:
    """Load `objects` and leave no transaction open, as the check-in view's reads (autocommit, cache) do."""
    for obj in objects:
        db.session.refresh(obj)
    if _on_postgresql():
        db.session.connection().connection.driver_connection.commit()  # ends the reads' transaction only


def _writes(statements: list[str]) -> list[str]:
    return [s for s in statements if not s.lstrip().upper().startswith("SELECT")]


def test_a_new_worker_is_one_statement_that_commits_itself(db, create_event) -> None:  # type: ignore[no-untyped-def]
    event = create_event()
    _as_the_view_has_them(event)
    with seen_statements(db.engine) as statements:
        result = check_in_typed(event, _details("13800138001"), None, registration=None,
                                source=Source("d" * 32, reason=""))
    assert result.created and result.seq == 1 and result.check_in.participant.phone == "13800138001"
    if _on_postgresql():
        assert len(statements) == 1 and statements[0].startswith("WITH p AS (INSERT INTO participant")
        assert not _open_transaction()  # committed by itself: the caller's commit has nothing to send
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get_one(CheckIn, result.check_in.id)
    assert (stored.participant.name, stored.name_given, stored.device_hash) == ("陈师傅", "陈师傅", "d" * 32)
    assert db.session.get_one(EventCount, event.id).checkins == 1
    assert verify().lines == []


def test_a_known_worker_is_one_statement_and_a_repeat_writes_nothing(db, create_event, create_participant) -> None:  # type: ignore[no-untyped-def]
    event, person = create_event(), create_participant(phone="13800138002", workplace="顺丰速运", group="快递员")
    _as_the_view_has_them(event, person)
    with seen_statements(db.engine) as statements:
        first = check_in_typed(event, _details(person.phone, person.name), person, registration=None,
                               source=Source(), absent=True)
    assert first.created and first.seq == 1
    if _on_postgresql():
        assert len(_writes(statements)) == 1 and not _open_transaction()
    db.session.commit()
    with seen_statements(db.engine) as statements:
        again = check_in_typed(event, _details(person.phone, person.name), person, registration=None, source=Source())
    assert not again.created and again.check_in.id == first.check_in.id and _writes(statements) == []
    db.session.commit()
    assert verify().lines == []


def test_a_workers_check_in_builds_its_object_only_when_asked(db, create_event) -> None:  # type: ignore[no-untyped-def]
    """A worker's own check-in needs its id alone: no CheckIn object (nor, for a worker new to the district,
    Participant object) is built or put in the session until a caller asks for one, which then has the row's
    values, reads nothing and, for a row read meanwhile, is that same object."""
    event = create_event()
    _as_the_view_has_them(event)
    result = check_in_typed(event, _details("13800138010"), None, registration=None,
                            source=Source("e" * 32, reason=""))
    assert result.created and result.check_in_id > 0
    assert not any(isinstance(obj, (CheckIn, Participant)) for obj in db.session.identity_map.values())
    db.session.commit()
    with seen_statements(db.engine) as statements:
        record = result.check_in
        seen = (record.id, record.event_id, record.method, record.device_hash, record.name_given,
                record.participant.phone, record.participant.name, record.participant.first_organization_id)
    assert seen == (result.check_in_id, event.id, SELF_SCAN, "e" * 32, "陈师傅", "13800138010", "陈师傅",
                    event.organization_id)
    assert statements == [] and result.check_in is record
    assert db.session.get_one(Participant, record.participant_id) is record.participant
    assert db.session.identity_map.get(db.session.identity_key(CheckIn, record.id)) is record

    other = check_in_typed(event, _details("13800138011"), None, registration=None, source=Source())
    loaded = db.session.get_one(CheckIn, other.check_in_id)  # read by someone else first
    assert other.check_in is loaded


def test_a_phone_inserted_meanwhile_is_used_not_refused(db, create_event) -> None:  # type: ignore[no-untyped-def]
    """The read found no such phone, but a twin submit inserted it since: that participant is checked in."""
    event = create_event()
    with db.engine.begin() as other:  # another request, committed between this one's read and its write
        other.execute(text("INSERT INTO participant (phone, name, workplace, group_label, created_at, updated_at)"
                           " VALUES ('13800138003', '陈师傅', '', '', :now, :now)"), {"now": event.starts_at})
    result = check_in_typed(event, _details("13800138003"), None, registration=None, source=Source())
    db.session.commit()
    assert result.created and result.seq == 1
    assert db.session.scalar(select(func.count(Participant.id)).where(Participant.phone == "13800138003")) == 1
    assert db.session.scalar(select(func.count(CheckIn.id)).where(CheckIn.event_id == event.id)) == 1
    assert verify().lines == []


def test_a_check_in_lost_to_the_unique_rule_counts_nothing(db, create_event, create_participant) -> None:  # type: ignore[no-untyped-def]
    """The caller read no check-in (absent), but one was stored since: the answer is "already", nothing counts."""
    event, person = create_event(), create_participant()
    first = check_in(event, person, by=None, method=SELF_SCAN)
    db.session.commit()
    again = check_in(event, person, by=None, method=SELF_SCAN, absent=True, alone=True)
    db.session.commit()
    assert not again.created and again.check_in.id == first.check_in.id
    counts = db.session.get_one(EventCount, event.id)
    assert (counts.seq, counts.checkins, counts.by_self) == (1, 1, 1)
    assert verify().lines == []


def test_a_session_with_other_changes_keeps_them_in_one_transaction(db, create_event, create_participant) -> None:  # type: ignore[no-untyped-def]
    """`alone` never commits a check-in apart from changes the session still holds."""
    event, person, other = create_event(), create_participant(), create_participant()
    other.workplace = "美团配送"  # pending in the session
    result = check_in(event, person, by=None, method=SELF_SCAN, alone=True)
    assert result.created and _open_transaction()
    db.session.rollback()  # both go: the check-in was not committed on its own
    assert db.session.scalar(select(func.count(CheckIn.id)).where(CheckIn.event_id == event.id)) == 0
    assert not db.session.scalar(select(EventCount.checkins).where(EventCount.event_id == event.id))
    assert verify().lines == []


def test_a_device_past_its_limit_is_held_for_review_on_every_path(db, create_event) -> None:  # type: ignore[no-untyped-def]
    event = create_event()
    held = Source("e" * 32, reason="同一手机已为本场 5 人签到（超过 5 人需核实）")
    result = check_in_typed(event, _details("13800138004"), None, registration=None, source=held)
    db.session.commit()
    assert result.created and result.check_in.status == CHECKIN_PENDING
    counts = db.session.get_one(EventCount, event.id)
    assert (counts.checkins, counts.pending) == (0, 1)
    assert verify().lines == []


def _ticket_scene(tree, create_event) -> tuple[Event, User, list[str]]:  # type: ignore[no-untyped-def]
    event = create_event(org=tree["a"], starts_in=timedelta(minutes=30), registration_mode="on")
    tokens = [register(event, {"name": f"票务职工{i}", "phone": f"1390000{i:04d}"}, by=None).token for i in range(2)]
    db.session.commit()
    checker = tree["checker_a"]
    _as_the_view_has_them(event, checker)
    event.organization, checker.organization  # noqa: B018  (loaded, as the request's cached stamps have them)
    _as_the_view_has_them()
    return event, checker, tokens


def test_a_ticket_scan_is_one_read_and_one_statement(db, tree, create_event) -> None:  # type: ignore[no-untyped-def]
    """Scan id, ticket, holder and check-in in one read; check-in, counts, audit entry and the scan's record in one
    statement that commits itself (PostgreSQL); a resend replays it and writes no second anything."""
    event, checker, tokens = _ticket_scene(tree, create_event)
    with seen_statements(db.engine) as statements:
        result = process_scan(event, Scan("one-statement-scan-1", code=tokens[0]), by=checker, alone=True)
    assert result.outcome == "success" and result.check_in_id is not None
    if _on_postgresql():
        assert len(statements) == 2, statements
        assert statements[0].startswith("SELECT") and "scan_record" in statements[0]
        assert statements[1].startswith("WITH c AS (INSERT INTO check_in") and not _open_transaction()
        assert result.counts == event_counts(event)
    db.session.commit()
    stored = db.session.scalar(select(ScanRecord).where(ScanRecord.client_scan_id == "one-statement-scan-1"))
    assert stored is not None and (stored.outcome, stored.check_in_id, stored.attempts) == (
        "success", result.check_in_id, 1)
    assert stored.checked_in_at == result.checked_in_at
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "checkin.create"))
    assert entry is not None and (entry.object_type, entry.object_id, entry.event_id, entry.actor_id) == (
        "check_in", result.check_in_id, event.id, checker.id)
    assert entry.changes == {"participant_id": stored.participant_id, "method": "staff"}
    again = process_scan(event, Scan("one-statement-scan-1", code=tokens[0]), by=checker, alone=True)
    db.session.commit()
    assert again.replayed and again.check_in_id == result.check_in_id
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "checkin.create")) == 1
    assert db.session.scalar(select(ScanRecord.attempts).where(ScanRecord.id == stored.id)) == 2
    assert verify().lines == []


def test_a_scan_id_taken_meanwhile_writes_nothing_in_a_batch(db, tree, create_event, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The read found the scan id free, but another scan stored it since: ScanRaced, and the batch's rollback
    leaves no check-in, entry or count behind (the view then replays the stored answer)."""
    event, checker, tokens = _ticket_scene(tree, create_event)
    process_scan(event, Scan("taken-scan-id", code=tokens[1]), by=checker)
    db.session.commit()
    read = scans_module.scan_ticket_at_event
    monkeypatch.setattr(scans_module, "scan_ticket_at_event", lambda *args: (None, *read(*args)[1:]))
    with pytest.raises(ScanRaced):
        process_scan(event, Scan("taken-scan-id", code=tokens[0]), by=checker)
    db.session.rollback()
    assert db.session.scalar(select(func.count(CheckIn.id)).where(CheckIn.event_id == event.id)) == 1
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "checkin.create")) == 1
    assert db.session.get_one(EventCount, event.id).checkins == 1
    assert verify().lines == []
