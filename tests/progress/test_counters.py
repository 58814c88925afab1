"""Maintained counts: random check-ins, undos, reviews, imports, cancellations, moves; verify finds nothing."""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import delete, func, select, update

from eventsvc.checkin.counters import YEAR, EventCount, EventTally, PersonReach, ReachCount
from eventsvc.checkin.models import CHECKIN_PENDING, IMPORT, MANUAL, SELF_SCAN, STAFF_SCAN, CheckIn
from eventsvc.checkin.operations import (
    Source,
    check_in,
    confirm_check_in,
    reject_check_in,
    undo_check_in,
    upsert_participant,
)
from eventsvc.events.operations import cancel_event, set_additional_programs, update_event
from eventsvc.extensions import db
from eventsvc.progress.counters import verify
from eventsvc.progress.queries import event_attendance, pending_in_scope, totals_by_program, totals_by_subtree


def _raw_people(program_id: int) -> int:
    """Distinct people at counted (published, started) events of the program, straight from check-ins."""
    from eventsvc.core.timeutil import utcnow
    from eventsvc.events.models import PUBLISHED, Event, event_program

    events = select(Event.id).where(Event.program_id == program_id).union(
        select(event_program.c.event_id).where(event_program.c.program_id == program_id))
    return db.session.scalar(
        select(func.count(func.distinct(CheckIn.participant_id))).join(Event, Event.id == CheckIn.event_id)
        .where(CheckIn.event_id.in_(events), CheckIn.status != CHECKIN_PENDING, Event.status == PUBLISHED,
               Event.starts_at <= utcnow())) or 0


def test_random_operations_leave_counts_equal_to_the_rows(db, tree, create_program, create_event):  # type: ignore[no-untyped-def]
    rng = random.Random(13)
    program, other = create_program(org=tree["root"]), create_program(org=tree["root"])
    events = [create_event(program, org) for org in (tree["a"], tree["b"], tree["a_child"], tree["a"])]
    events.append(create_event(other, tree["b"], starts_in=timedelta(days=2)))  # not started: 人 wait for it
    set_additional_programs(events[1], [other], by=None)
    people = [upsert_participant(f"职工{i}", f"1390000{i:04d}", by=None) for i in range(40)]
    db.session.commit()
    for step in range(400):
        roll = rng.random()
        event = rng.choice(events)
        if roll < 0.55 and event.status != "cancelled":
            method = rng.choice([SELF_SCAN, SELF_SCAN, STAFF_SCAN, MANUAL, IMPORT])
            by = None if method == SELF_SCAN else tree["admin"]
            source = Source(device_hash=f"dev{rng.randrange(3)}") if method == SELF_SCAN else None
            check_in(event, rng.choice(people), by=by, method=method, enforce_window=False, source=source)
        elif 0.55 <= roll < 0.7:
            record = db.session.scalar(select(CheckIn).where(CheckIn.event_id == event.id).limit(1))
            if record is not None:
                undo_check_in(record, by=tree["admin"], reason="测试")
        elif roll < 0.82:
            record = db.session.scalar(select(CheckIn).where(CheckIn.status == CHECKIN_PENDING).limit(1))
            if record is not None:
                (confirm_check_in if rng.random() < 0.5 else reject_check_in)(record, by=tree["admin"])
        elif roll < 0.86 and event.status != "cancelled":
            cancel_event(event, by=None)
        elif roll < 0.9:
            set_additional_programs(event, [] if event.additional_programs else [other, program], by=None)
        elif roll < 0.93 and event.status != "cancelled":
            target = tree["b"] if event.organization_id == tree["a"].id else tree["a"]
            update_event(event, by=None, organization=target)
        if step % 7 == 0:
            db.session.commit()
        else:
            db.session.flush()
    db.session.commit()

    assert verify().lines == []
    # The pages read the counters: they say what the rows say.
    ids = [program.id, other.id]
    totals = totals_by_program(ids)
    for pid in ids:
        assert totals[pid].participants == _raw_people(pid)
    counted = db.session.scalars(select(CheckIn).where(CheckIn.status != CHECKIN_PENDING)).all()
    per_event = {e.id: sum(1 for c in counted if c.event_id == e.id) for e in events}
    assert event_attendance([e.id for e in events]) == {k: v for k, v in per_event.items() if v}
    assert pending_in_scope() == db.session.scalar(
        select(func.count(CheckIn.id)).where(CheckIn.status == CHECKIN_PENDING))
    district = totals_by_subtree([tree["root"].id], program_ids=[program.id])[tree["root"].id]
    assert district.participants == _raw_people(program.id)


def test_verify_names_a_wrong_count_and_rebuild_mends_it(db, tree, create_event, create_check_in, runner):  # type: ignore[no-untyped-def]
    event = create_event(org=tree["a"])
    for _ in range(3):
        create_check_in(event)
    assert runner.invoke(args=["counts", "verify"]).exit_code == 0

    db.session.execute(update(EventCount).where(EventCount.event_id == event.id).values(checkins=7))
    db.session.execute(update(EventTally).where(EventTally.organization_id == event.organization_id,
                                                EventTally.kind == "p").values(checkins=7))
    person = db.session.scalar(select(func.min(CheckIn.participant_id)))
    db.session.execute(delete(PersonReach).where(  # a person's row for the year, at the organizing unit
        PersonReach.participant_id == person, PersonReach.kind == YEAR,
        PersonReach.organization_id == event.organization_id))
    db.session.execute(update(ReachCount).where(ReachCount.kind == "p", ReachCount.bucket == event.program_id,
                                                ReachCount.organization_id == tree["root"].id).values(people=9))
    db.session.commit()
    result = runner.invoke(args=["counts", "verify"])
    assert result.exit_code == 1
    assert f"活动 {event.id} checkins: 记录 7，实际 3" in result.output
    assert f"参与者 {person} 缺少 {YEAR}/{event.program.year} 单位 {event.organization_id} 的人数记录" in result.output
    assert f"项目 {event.program_id} 单位 {tree['root'].id} 人数: 记录 9，实际 3" in result.output
    assert f"单位 {event.organization_id} 汇总 p/{event.program_id}" in result.output
    figures = totals_by_program([event.program_id])[event.program_id]
    assert (figures.attendances, figures.participants) == (7, 9)  # the pages read the maintained counts

    result = runner.invoke(args=["counts", "rebuild"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["counts", "verify"]).exit_code == 0
    assert totals_by_program([event.program_id])[event.program_id].attendances == 3
    assert totals_by_program([event.program_id])[event.program_id].participants == 3


def test_new_check_in_takes_the_next_number_and_a_repeat_writes_nothing(db, tree, create_event, create_participant):  # type: ignore[no-untyped-def]
    event = create_event(org=tree["a"])
    first = check_in(event, create_participant(), by=None, method=SELF_SCAN)
    second_person = create_participant()
    second = check_in(event, second_person, by=None, method=SELF_SCAN)
    db.session.commit()
    assert (first.ordinal, second.ordinal) == (1, 2)
    statements: list[str] = []
    from sqlalchemy import event as sa_event

    engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    sa_event.listen(engine, "before_cursor_execute", listener)
    try:
        again = check_in(event, second_person, by=None, method=SELF_SCAN)
        db.session.commit()
    finally:
        sa_event.remove(engine, "before_cursor_execute", listener)
    assert again.created is False and again.check_in.id == second.check_in.id
    assert not [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
