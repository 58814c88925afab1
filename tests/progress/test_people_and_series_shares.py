"""人 counts a worker met at an event and at a station once; a series counts as one 项 for share targets too,
and the program form sets it."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from eventsvc.events.series_operations import create_series, set_series_as_one, set_sessions
from eventsvc.extensions import db
from eventsvc.programs.models import PARTICIPANTS, SESSIONS, Program, Target
from eventsvc.programs.operations import TargetSpec
from eventsvc.progress.periods import people_by_subtree
from eventsvc.progress.queries import target_progress, totals_by_program, totals_by_subtree
from eventsvc.stations.operations import create_station, record_visit, set_station_program


def test_a_worker_at_an_event_and_a_station_is_one_person(app, tree, create_program, create_event,
                                                          create_participant, create_check_in):
    program = create_program(org=tree["a"], year=2026, targets=[TargetSpec(PARTICIPANTS, 10)])
    with time_machine.travel(datetime(2026, 3, 2, 2, 0, tzinfo=UTC), tick=False):
        event = create_event(program=program, org=tree["a"])
        both, event_only, station_only = (create_participant() for _ in range(3))
        create_check_in(event, both)
        create_check_in(event, event_only)
        station = create_station(tree["a"], by=None, name="平湖暖蜂驿站")
        set_station_program(station, 2026, program, by=None)
        record_visit(station, both, by=None)
        record_visit(station, station_only, by=None)
    with time_machine.travel(datetime(2026, 3, 3, 2, 0, tzinfo=UTC), tick=False):
        record_visit(station, both, by=None)  # another day: one more 人次, still the same person
    db.session.commit()

    totals = totals_by_program([program.id])[program.id]
    assert (totals.checkins, totals.stations, totals.participants) == (2, 3, 3)  # not 2 + 2 people
    assert totals_by_program([program.id], scope_path=tree["a"].path)[program.id].participants == 3
    root, a = tree["root"].id, tree["a"].id
    rolled = totals_by_subtree([root, a], program_ids=[program.id])
    assert (rolled[root].participants, rolled[a].participants) == (3, 3)
    assert totals_by_subtree([root], program_ids=[program.id], by_program=True)[(root, program.id)].participants == 3
    assert totals_by_subtree([root], year=2026)[root].participants == 3
    assert totals_by_subtree([tree["b"].id], program_ids=[program.id])[tree["b"].id].participants == 0
    # A period's 人 (monthly reports) follows the same rule.
    march = people_by_subtree([root], [program.id], since=datetime(2026, 2, 28, 16), now=datetime(2026, 3, 31, 16),
                              by_program=False)
    assert march[root] == 3


def test_share_targets_count_a_series_as_one_item(app, tree, create_program, create_event):
    program = create_program(org=tree["root"], year=2026, targets=[
        TargetSpec(SESSIONS, 47), TargetSpec(SESSIONS, 20, organization=tree["a"]),
        TargetSpec(SESSIONS, 20, organization=tree["b"])])
    sessions = [create_event(program=program, org=tree["a"], title=f"第{i}课", starts_in=timedelta(days=-i))
                for i in range(1, 4)]
    create_event(program=program, org=tree["a"], title="单场活动")
    create_event(program=program, org=tree["b"], title="坂田单场")
    series = create_series(program, tree["a"], by=None, title="三大节慰问")
    set_sessions(series, sessions, by=None)
    for target in program.targets:
        set_series_as_one(target, True, by=None)
    db.session.commit()

    overall = totals_by_program([program.id])[program.id]
    by_org = totals_by_subtree([tree["a"].id, tree["b"].id], program_ids=[program.id])
    done = {(t.organization_id or 0): row.done for t, row in
            ((r.target, r) for r in target_progress(program, overall, by_org))}
    assert done == {0: 3, tree["a"].id: 2, tree["b"].id: 1}  # 5 sessions → series 1 + 1 + 1; a: 1 + 1; b: 1
    per_program = totals_by_subtree([tree["a"].id], program_ids=[program.id], by_program=True)
    assert per_program[(tree["a"].id, program.id)].value_for(program.targets[1]) == 2
    set_series_as_one(program.targets[1], False, by=None)
    assert by_org[tree["a"].id].value_for(program.targets[1]) == 4  # sessions again when not set


def test_program_form_sets_series_as_one_and_keeps_it_on_save(db, tree, login, create_program):
    program = create_program(org=tree["a"], name="三大节", targets=[TargetSpec(SESSIONS, 5)])
    client = login(tree["org_a"])
    data = {"year": "2026", "name": "三大节", "targets-0-metric": SESSIONS, "targets-0-value": "47",
            "targets-0-series_as_one": "1", "targets-1-metric": SESSIONS, "targets-1-value": "10",
            "targets-1-organization_id": str(tree["a_child"].id), "targets-1-series_as_one": "1"}
    assert client.post(f"/programs/{program.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    targets = db.session.scalars(select(Target).where(Target.program_id == program.id).order_by(Target.id)).all()
    assert [(t.value, t.organization_id, t.series_as_one) for t in targets] == [
        (47, None, True), (10, tree["a_child"].id, True)]
    page = client.get(f"/programs/{program.id}/edit").get_data(as_text=True)
    assert page.count('series_as_one" value="1" checked') == 2  # the edit form shows what is stored
    del data["targets-1-series_as_one"]
    client.post(f"/programs/{program.id}/edit", data=data)
    db.session.expire_all()
    assert [t.series_as_one for t in db.session.get(Program, program.id).targets] == [True, False]
    bad = client.post(f"/programs/{program.id}/edit", data={**data, "targets-0-series_as_one": "yes"})
    assert bad.status_code == 400 and "每个系列计为一项" in bad.get_data(as_text=True)
