"""Upgrading a database that already holds check-ins fills the maintained counts (migration c016); e023 drops
program_participant and its downgrade brings it back filled the same."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from eventsvc import create_app
from eventsvc.extensions import db
from eventsvc.progress.counters import verify
from tests.core.test_migrations import empty_database_url  # noqa: F401  (fixture)

BEFORE_COUNTERS = "a1c0c0a1c015"
LAST_WITH_PROGRAM_PARTICIPANT = "a1c0c0a1c022"  # a1c0c0a1c023 drops the table
T0 = datetime(2026, 3, 1, 1, 0)


def _insert(table: str, **values: Any) -> None:
    names = ", ".join(values)
    marks = ", ".join(f":{k}" for k in values)
    db.session.execute(text(f"INSERT INTO {table} ({names}) VALUES ({marks})"), values)


def _old_rows() -> None:
    """Two units, two programs, three events (one cancelled, one counting toward both programs), check-ins."""
    stamp = {"created_at": T0, "updated_at": T0}
    for oid, path in ((1, "/1/"), (2, "/1/2/")):
        _insert("organization", id=oid, name=f"单位{oid}", short_name=f"单位{oid}", kind="district", path=path,
                sort_order=0, is_active=True, **stamp)
    for pid in (1, 2):
        _insert("program", id=pid, year=2026, name=f"项目{pid}", category="", description="", plan_item="",
                organization_id=1, **stamp)
    for eid, pid, oid, status, day in ((1, 1, 1, "published", 5), (2, 2, 2, "published", 2),
                                       (3, 1, 1, "cancelled", 1)):
        starts = T0 + timedelta(days=day)
        _insert("event", id=eid, code=f"old{eid}", program_id=pid, organization_id=oid, title=f"活动{eid}",
                description="", level="district", kind="", starts_at=starts, ends_at=starts + timedelta(hours=2),
                venue_name="驿站", venue_address="", target_groups="", status=status, cancel_reason="",
                registration_mode="off", waitlist_enabled=False, requires_registration=False, qr_mode="static",
                checkout_enabled=False, **stamp)
    _insert("event_program", event_id=1, program_id=2)
    for n in range(1, 5):
        _insert("participant", id=n, phone=f"1390000000{n}", name=f"职工{n}", workplace="", group_label="", **stamp)
    rows = [(1, 1, "self", "ok", None), (1, 2, "staff", "ok", None), (1, 3, "self", "pending", None),
            (1, 4, "manual", "ok", T0), (2, 1, "import", "ok", None), (2, 2, "self", "confirmed", None),
            (3, 1, "self", "ok", None)]
    for eid, person, method, status, voided in rows:
        _insert("check_in", event_id=eid, participant_id=person, checked_in_at=T0 + timedelta(days=eid),
                method=method, status=status, voided_at=voided)
    db.session.commit()


def _program_participants() -> set[tuple[Any, ...]]:
    """The program_participant rows, read with plain SQL (the models no longer have the table)."""
    rows = db.session.execute(text(
        "SELECT program_id, organization_id, participant_id, first_starts_at FROM program_participant"))
    return {(p, o, n, s if isinstance(s, datetime) else datetime.fromisoformat(s)) for p, o, n, s in rows}


def _has_program_participant() -> bool:
    with db.engine.connect() as conn:
        return "program_participant" in inspect(conn).get_table_names()


def test_upgrade_fills_the_counts_from_existing_rows(empty_database_url: str) -> None:  # noqa: F811
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(revision=BEFORE_COUNTERS)
        _old_rows()
        upgrade(revision=LAST_WITH_PROGRAM_PARTICIPANT)
        counts = {r[0]: tuple(r[1:]) for r in db.session.execute(text(
            "SELECT event_id, seq, checkins, pending, by_self, by_staff, by_manual, by_import FROM event_count"))}
        # seq counts every row kept; 人次 leave out the pending and the voided (作废) ones.
        assert counts == {1: (4, 2, 1, 1, 1, 0, 0), 2: (2, 2, 0, 1, 0, 0, 1), 3: (1, 1, 0, 1, 0, 0, 0)}
        e1, e2 = T0 + timedelta(days=5), T0 + timedelta(days=2)
        # Event 1 counts toward both programs; the cancelled event 3 toward none.
        filled = {(1, 1, 1, e1), (1, 1, 2, e1), (2, 1, 1, e1), (2, 1, 2, e1), (2, 2, 1, e2), (2, 2, 2, e2)}
        assert _program_participants() == filled
        db.session.commit()  # end the read transaction before the schema changes

        upgrade()  # a1c0c0a1c023 drops program_participant; the other counts still agree with the rows
        assert not _has_program_participant()
        assert verify().lines == []
        db.session.commit()

        downgrade(revision=LAST_WITH_PROGRAM_PARTICIPANT)  # back, filled from the check-ins as c016 filled it
        assert _has_program_participant()
        assert _program_participants() == filled
        db.session.commit()
        upgrade()
        assert not _has_program_participant()
        db.session.remove()
        db.engine.dispose()


def test_upgrade_fills_registration_counts(empty_database_url: str) -> None:  # noqa: F811
    """a1c0c0a1c024 counts the registrations already stored, also for an event with no check-in (no row yet)."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(revision=BEFORE_COUNTERS)
        _old_rows()
        stamp = {"created_at": T0, "updated_at": T0}
        _insert("event", id=4, code="old4", program_id=1, organization_id=1, title="活动4", description="",
                level="district", kind="", starts_at=T0, ends_at=T0 + timedelta(hours=2), venue_name="驿站",
                venue_address="", target_groups="", status="published", cancel_reason="", registration_mode="on",
                waitlist_enabled=True, requires_registration=False, qr_mode="static", checkout_enabled=False, **stamp)
        for n, (eid, person, status) in enumerate([(1, 1, "registered"), (1, 2, "cancelled"), (4, 1, "registered"),
                                                   (4, 2, "registered"), (4, 3, "waitlisted")]):
            _insert("registration", event_id=eid, participant_id=person, token=f"tok{n}", status=status,
                    name_given="", workplace_given="", **stamp)
        db.session.commit()
        upgrade()
        counts = {r[0]: tuple(r[1:]) for r in db.session.execute(text(
            "SELECT event_id, registered, waitlisted, reg_cancelled FROM event_count"))}
        assert counts == {1: (1, 0, 1), 2: (0, 0, 0), 3: (0, 0, 0), 4: (2, 1, 0)}
        assert verify().lines == []
        db.session.commit()
        downgrade(revision="a1c0c0a1c023")
        db.session.commit()
        upgrade()
        db.session.remove()
        db.engine.dispose()
