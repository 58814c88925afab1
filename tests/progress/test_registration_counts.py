"""Registrations by status are kept in event_count with every change, so the door's figures never count rows."""
from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from eventsvc.checkin.counters import EventCount
from eventsvc.checkin.models import CANCELLED, REGISTERED, WAITLISTED, Registration
from eventsvc.checkin.operations import cancel_registration, promote_waitlisted, register
from eventsvc.checkin.queries import event_stats
from eventsvc.core.exceptions import OperationError
from eventsvc.extensions import db
from eventsvc.progress.counters import rebuild, verify
from tests.statements import seen_statements


def person(n: int) -> dict[str, str]:
    return {"name": f"报名职工{n}", "phone": f"1390000{n:04d}", "workplace": "顺丰速运", "group": "快递员"}


def _raw(event_id: int) -> dict[str, int]:
    rows = db.session.execute(select(Registration.status, func.count()).where(
        Registration.event_id == event_id).group_by(Registration.status))
    return {REGISTERED: 0, WAITLISTED: 0, CANCELLED: 0, **{status: n for status, n in rows}}


def _stored(event_id: int) -> dict[str, int]:
    row = db.session.get(EventCount, event_id, populate_existing=True)
    return {REGISTERED: row.registered, WAITLISTED: row.waitlisted, CANCELLED: row.reg_cancelled} if row else {
        REGISTERED: 0, WAITLISTED: 0, CANCELLED: 0}


def _event(create_event: Any, create_program: Any, tree: dict[str, Any], **fields: Any) -> Any:
    program = create_program(org=tree["a"])
    return create_event(program=program, org=tree["a"], starts_in=timedelta(minutes=30), registration_mode="on",
                        **fields)


def test_every_change_keeps_the_counts_and_the_scanner_reads_them(db, create_event, create_program, tree):  # type: ignore[no-untyped-def]
    event = _event(create_event, create_program, tree, registration_capacity=2, waitlist_enabled=True)
    other = _event(create_event, create_program, tree)
    regs = [register(event, person(i), by=None) for i in range(4)]  # 2 seats, 2 waiting
    register(other, person(9), by=None)
    db.session.commit()
    assert _stored(event.id) == _raw(event.id) == {REGISTERED: 2, WAITLISTED: 2, CANCELLED: 0}
    cancel_registration(regs[0], by=None)  # a seat frees: the first waiting gets it
    db.session.commit()
    assert _stored(event.id) == _raw(event.id) == {REGISTERED: 2, WAITLISTED: 1, CANCELLED: 1}
    register(event, person(0), by=None)  # re-registering a cancelled one: the waitlist, the event is full
    cancel_registration(regs[3], by=None)
    db.session.commit()
    assert _stored(event.id) == _raw(event.id)
    assert _stored(other.id) == _raw(other.id) == {REGISTERED: 1, WAITLISTED: 0, CANCELLED: 0}
    with seen_statements(db.engine) as seen:
        stats = event_stats(event)
    assert not [s for s in seen if "registration" in s]  # maintained, not counted
    assert (stats["registered"], stats["waitlisted"], stats["cancelled"]) == tuple(
        _raw(event.id)[s] for s in (REGISTERED, WAITLISTED, CANCELLED))
    assert not verify()


def test_random_registrations_cancellations_and_promotions_leave_nothing_for_verify(  # type: ignore[no-untyped-def]
        db, create_event, create_program, tree):
    rng = random.Random(20261122)
    events = [_event(create_event, create_program, tree, registration_capacity=rng.randint(1, 4),
                     waitlist_enabled=rng.random() < 0.7) for _ in range(3)]
    for step in range(60):
        event = rng.choice(events)
        action = rng.random()
        try:
            if action < 0.55:
                register(event, person(rng.randint(0, 14)), by=None)
            elif action < 0.85:
                live = db.session.scalars(select(Registration).where(
                    Registration.event_id == event.id, Registration.status != CANCELLED)).all()
                if live:
                    cancel_registration(rng.choice(live), by=None)
            else:
                promote_waitlisted(event, by=None)
        except OperationError:  # full without a waitlist: refused, nothing stored
            db.session.rollback()
            continue
        if step % 3 == 0:
            db.session.commit()
    db.session.commit()
    for event in events:
        assert _stored(event.id) == _raw(event.id)
    assert not verify()
    db.session.execute(EventCount.__table__.update().values(registered=99))  # a wrong figure is found ...
    db.session.commit()
    assert any("registered" in line for line in verify().lines)
    rebuild()  # ... and rebuilt from the registrations
    db.session.commit()
    assert not verify()
    for event in events:
        assert _stored(event.id) == _raw(event.id)
