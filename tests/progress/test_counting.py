"""The counting rules: sessions, attendances, participants, custom units, rollups by organization."""
from __future__ import annotations

from datetime import timedelta

from eventsvc.events.operations import cancel_event, set_quantities
from eventsvc.programs.models import ATTENDANCES, CUSTOM, PARTICIPANTS, SESSIONS
from eventsvc.programs.operations import TargetSpec
from eventsvc.progress.queries import (
    target_progress,
    totals_by_program,
    totals_by_subtree,
)


def test_counts_only_started_published_events(
    db, tree, create_program, create_event, create_check_in, create_participant
):
    program = create_program(org=tree["root"])
    held = create_event(program, tree["a"])
    future = create_event(program, tree["a"], starts_in=timedelta(days=3))
    draft = create_event(program, tree["a"], publish=False)
    cancelled = create_event(program, tree["b"])
    alice, bob, carol = create_participant("甲"), create_participant("乙"), create_participant("丙")
    create_check_in(held, alice)
    create_check_in(held, bob)
    # Check-ins at events that do not count (future, draft, cancelled) must add nothing, not even carol.
    for event in (future, draft, cancelled):
        create_check_in(event, alice)
        create_check_in(event, carol)
    cancel_event(cancelled, by=None)
    db.session.commit()

    totals = totals_by_program([program.id])[program.id]
    assert totals.sessions == 1
    assert totals.attendances == 2
    assert totals.participants == 2


def test_one_person_at_three_events_is_three_attendances_one_participant(db, tree, create_program, create_event,
                                                                          create_check_in, create_participant):
    program = create_program(org=tree["root"])
    person = create_participant()
    for _ in range(3):
        create_check_in(create_event(program, tree["a"]), person)
    totals = totals_by_program([program.id])[program.id]
    assert (totals.sessions, totals.attendances, totals.participants) == (3, 3, 1)


def test_duplicate_check_in_counts_once(db, tree, create_program, create_event, create_check_in, create_participant):
    program = create_program(org=tree["root"])
    event = create_event(program, tree["a"])
    person = create_participant()
    first = create_check_in(event, person)
    second = create_check_in(event, person)
    assert first.id == second.id
    assert totals_by_program([program.id])[program.id].attendances == 1


def test_custom_quantities_are_summed_over_counted_events(db, tree, create_program, create_event):
    program = create_program(org=tree["root"], targets=[TargetSpec(CUSTOM, 1000, label="清凉礼包", unit="份")])
    e1, e2, e3 = (create_event(program, tree["a"]) for _ in range(3))
    set_quantities(e1, [("清凉礼包", "份", 300)], by=None)
    set_quantities(e2, [("清凉礼包", "份", 200), ("矿泉水", "箱", 5)], by=None)
    set_quantities(e3, [("清凉礼包", "份", 999)], by=None)
    cancel_event(e3, by=None)
    db.session.commit()
    totals = totals_by_program([program.id])[program.id]
    assert totals.quantities == {"清凉礼包": 500, "矿泉水": 5}
    (progress,) = target_progress(program, totals, {})
    assert (progress.done, progress.goal, progress.percent, progress.remaining) == (500, 1000, 50.0, 500)


def test_rollup_by_organization_includes_descendants(db, tree, create_program, create_event, create_check_in,
                                                     create_participant):
    program = create_program(org=tree["root"], targets=[
        TargetSpec(SESSIONS, 4), TargetSpec(SESSIONS, 2, organization=tree["a"]),
        TargetSpec(SESSIONS, 2, organization=tree["b"]), TargetSpec(PARTICIPANTS, 10),
    ])
    person = create_participant()
    create_check_in(create_event(program, tree["a"]), person)
    create_check_in(create_event(program, tree["a_child"]), person)  # community rolls up to street A
    create_check_in(create_event(program, tree["b"]), person)

    by_org = totals_by_subtree([tree["a"].id, tree["b"].id, tree["root"].id], program_ids=[program.id])
    assert by_org[tree["a"].id].sessions == 2
    assert by_org[tree["a"].id].attendances == 2
    assert by_org[tree["a"].id].participants == 1
    assert by_org[tree["b"].id].sessions == 1
    assert by_org[tree["root"].id].sessions == 3
    assert by_org[tree["root"].id].participants == 1

    overall = totals_by_program([program.id])[program.id]
    rows = {(r.target.metric, r.target.organization_id): r for r in target_progress(program, overall, by_org)}
    assert rows[(SESSIONS, None)].done == 3 and rows[(SESSIONS, None)].remaining == 1
    assert rows[(SESSIONS, tree["a"].id)].is_met
    assert rows[(SESSIONS, tree["b"].id)].percent == 50.0
    assert rows[(PARTICIPANTS, None)].done == 1


def test_sessions_by_level_for_level_targets(db, tree, create_program, create_event):
    program = create_program(org=tree["root"], targets=[
        TargetSpec(SESSIONS, 47), TargetSpec(SESSIONS, 1, level="市级"), TargetSpec(SESSIONS, 6, level="区级"),
    ])
    create_event(program, tree["a"], level="区级")
    create_event(program, tree["a"], level="区级")
    create_event(program, tree["b"], level="街道级")
    totals = totals_by_program([program.id])[program.id]
    done = {(p.target.level): p.done for p in target_progress(program, totals, {})}
    assert done == {"": 3, "市级": 0, "区级": 2}


def test_scope_path_limits_program_totals(db, tree, create_program, create_event, create_check_in):
    program = create_program(org=tree["root"], targets=[TargetSpec(ATTENDANCES, 10)])
    create_check_in(create_event(program, tree["a"]))
    create_check_in(create_event(program, tree["b"]))
    create_check_in(create_event(program, tree["b"]))
    assert totals_by_program([program.id], scope_path=tree["b"].path)[program.id].attendances == 2
    assert totals_by_program([program.id])[program.id].attendances == 3
