"""Pages for issue 10 §3–§5: event form (extra programs, joint organizers, reported attendance), program pages,
ledgers, time against work, and the query count with the new kinds."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from eventsvc.events.models import Event
from eventsvc.events.operations import set_additional_programs, set_quantities, update_event
from eventsvc.programs.models import ATTENDANCES, CUSTOM, KIND_AMOUNT, KIND_RATE, KIND_REPORTED, SESSIONS, Program
from eventsvc.programs.operations import TargetSpec
from eventsvc.programs.reported_operations import submit_figure
from eventsvc.progress.queries import totals_by_program
from eventsvc.progress.timeline import schedule, time_percent
from eventsvc.progress.totals import measure
from eventsvc.reports.queries import ledger_data
from tests.progress.test_dashboard_views import _count_queries


def test_event_form_records_extra_programs_joint_organizers_and_reported_attendance(db, tree, login,
                                                                                    create_program):
    month = create_program(org=tree["root"], name="新就业形态劳动者服务月")
    law = create_program(org=tree["root"], name="普法宣传")
    client = login(tree["org_a"])
    form = client.get(f"/programs/{law.id}/events/new").get_data(as_text=True)
    assert "同时计入的项目" in form and "新就业形态劳动者服务月" in form and "现场人数（填报）" in form
    resp = client.post(f"/programs/{law.id}/events/new", data={
        "program_id": law.id, "organization_id": tree["a"].id, "title": "骑手法律讲座", "level": "街道级",
        "kind": "法律服务", "starts_at": "2026-07-01T09:00", "ends_at": "2026-07-01T11:30",
        "registration_mode": "off", "qr_mode": "static", "additional_program_ids": [str(month.id)],
        "co_organization_id": str(tree["b"].id), "co_organizers": "区人社局",
        "onsite_count": "1600", "onsite_note": "礼堂清点", "online_count": "300",
        "quantities-0-label": "慰问金", "quantities-0-unit": "万元", "quantities-0-value": "3.2",
    })
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    event = db.session.scalars(select(Event)).one()
    assert [p.name for p in event.additional_programs] == ["新就业形态劳动者服务月"]
    assert (event.co_organization_id, event.co_organizers) == (tree["b"].id, "区人社局")
    assert (event.onsite_count, event.onsite_note, event.online_count) == (1600, "礼堂清点", 300)
    assert event.quantities[0].value == 3.2
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "区人社局" in page and "新就业形态劳动者服务月" in page and "1600 人次" in page
    bad = client.post(f"/events/{event.id}/edit", data={
        "organization_id": tree["a"].id, "title": "骑手法律讲座", "level": "街道级", "kind": "法律服务",
        "starts_at": "2026-07-01T09:00", "ends_at": "2026-07-01T11:30", "registration_mode": "off",
        "qr_mode": "static", "onsite_count": "-5", "quantities-0-label": "慰问金", "quantities-0-value": "abc",
    })
    assert bad.status_code == 200 and "人数不能为负数" in bad.get_data(as_text=True)  # re-rendered, not a 500


def test_event_in_two_programs_is_listed_and_counted_once_in_each(db, tree, login, create_program, create_event,
                                                                  create_check_in):
    month = create_program(org=tree["root"], name="新就业形态劳动者服务月", targets=[TargetSpec(SESSIONS, 10)])
    skills = create_program(org=tree["root"], name="技能竞赛", targets=[TargetSpec(SESSIONS, 5)])
    contest = create_event(skills, tree["a"], title="骑手技能比武", co_organizers="区人社局")
    create_check_in(contest)
    set_additional_programs(contest, [month], by=None)
    db.session.commit()
    client = login(tree["admin"])
    for program, other_mark in ((month, True), (skills, False)):
        html = client.get(f"/programs/{program.id}").get_data(as_text=True)
        assert html.count("骑手技能比武") == 1
        assert ("主项目：技能竞赛" in html) is other_mark
        assert '<span class="done">1</span> / ' in html and "联合：区人社局" in html
        ledger = ledger_data(program, tree["admin"])
        assert [e.title for e in ledger.events] == ["骑手技能比武"] and ledger.achieved.sessions == 1
        assert "区人社局" in ledger.events[0].organizer


def test_attendance_composition_is_shown_everywhere(db, tree, login, create_program, create_event,
                                                    create_check_in):
    program = create_program(org=tree["root"], name="劳模工匠宣讲", targets=[TargetSpec(ATTENDANCES, 80000)])
    lecture = create_event(program, tree["a"], title="劳模宣讲进礼堂")
    create_check_in(lecture)
    update_event(lecture, by=None, onsite_count=1600, online_count=300)
    db.session.commit()
    client = login(tree["admin"])
    for url in ("/?year=2026", f"/programs/{program.id}"):
        html = client.get(url).get_data(as_text=True)
        assert "扫码签到 1 + 现场填报 1600 + 线上 300" in html, url
        assert '<span class="done">1901</span> / 80000 人次' in html
    ledger = ledger_data(program, tree["admin"])
    assert ledger.events[0].attendances == 1901
    assert ledger.targets[0].note == "扫码签到 1 + 现场填报 1600 + 线上 300"


def test_time_progress_beside_completion_marks_targets_behind(db, tree, login, create_program, create_event):
    program = create_program(org=tree["root"], name="夏送清凉", targets=[
        TargetSpec(SESSIONS, 10), TargetSpec(CUSTOM, 100, label="慰问金", unit="万元", kind=KIND_AMOUNT)],
        starts_on=date(2026, 6, 1), ends_on=date(2026, 8, 31))
    assert time_percent(program, date(2026, 5, 31)) == 0.0
    assert time_percent(program, date(2026, 7, 16)) == 50.0  # 46 of 92 days
    assert time_percent(program, date(2026, 9, 1)) == 100.0
    for _ in range(6):
        create_event(program, tree["a"])
    figures = totals_by_program([program.id])[program.id]
    rows = [measure(t, figures) for t in program.targets]
    plan = schedule(program, rows, date(2026, 7, 16))
    assert (plan.time, plan.done) == (50.0, 30.0)  # (60 % + 0 %) / 2
    money = next(t for t in program.targets if t.kind == KIND_AMOUNT)
    assert plan.behind == {money.id}
    html = login(tree["admin"]).get(f"/programs/{program.id}").get_data(as_text=True)
    assert "时间进度" in html and "· 完成" in html


def test_query_count_does_not_grow_with_new_kinds(db, tree, login, create_program, create_event, create_check_in):
    def program_with_everything(name: str) -> int:
        program = create_program(org=tree["root"], name=name, targets=[
            TargetSpec(SESSIONS, 10), TargetSpec(ATTENDANCES, 100),
            TargetSpec(CUSTOM, 50, label="慰问金", unit="万元", kind=KIND_AMOUNT),
            TargetSpec(CUSTOM, 85, label="签订率", kind=KIND_RATE),
            TargetSpec(CUSTOM, 20, label="新增建会企业", unit="家", kind=KIND_REPORTED),
            TargetSpec(CUSTOM, 5, label="新增建会企业", unit="家", kind=KIND_REPORTED, organization=tree["a"]),
        ])
        for org in (tree["a"], tree["b"]):
            event = create_event(program, org, onsite_count=10, online_count=5)
            set_quantities(event, [("慰问金", "万元", 1.5)], by=None)
            create_check_in(event)
            submit_figure(program, org, by=None, label="签订率", period=date(2026, 1, 1), numerator=8, denominator=10)
            submit_figure(program, org, by=tree["org_a"] if org == tree["a"] else None, label="新增建会企业",
                          period=date(2026, 1, 1), value=3)
        db.session.commit()
        return program.id

    client = login(tree["admin"])
    first = program_with_everything("项目一")
    one = (_count_queries(db, client, "/?year=2026"), _count_queries(db, client, f"/programs/{first}"))
    second = program_with_everything("项目二")
    third = program_with_everything("项目三")
    # Events that also count toward other programs add rows, not queries.
    for event in db.session.scalars(select(Event).where(Event.program_id == third)):
        set_additional_programs(event, [db.session.get(Program, first), db.session.get(Program, second)], by=None)
    db.session.commit()
    three = (_count_queries(db, client, "/?year=2026"), _count_queries(db, client, f"/programs/{second}"))
    assert one == three, (one, three)
