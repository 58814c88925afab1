"""Lowering capacity below the registered number asks first and names who is affected; forms report all errors."""
from __future__ import annotations

from datetime import timedelta

from eventsvc.checkin.operations import register
from eventsvc.extensions import db
from tests.events.test_event_forms import _form


def test_lowering_capacity_below_registered_asks_and_names_the_affected(client, login, tree, create_event,
                                                                         create_program):
    program = create_program(org=tree["a"])
    event = create_event(program=program, org=tree["a"], starts_in=timedelta(days=3), registration_mode="on",
                         registration_capacity=10, title="名额测试")
    for i, name in enumerate(["张一", "李二", "王三", "赵四"]):
        register(event, {"name": name, "phone": f"1381234000{i}"}, by=None)
        db.session.commit()
    login(tree["org_a"])
    data = _form(program, tree["a"], title="名额测试", registration_mode="on", registration_capacity="2",
                 capacity="")
    asked = client.post(f"/events/{event.id}/edit", data=data)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "新的人数上限低于已报名人数" in html
    assert "王三、赵四" in html and "以下 2 人" in html and "张一" not in html.split("新的人数上限")[1][:200]
    db.session.expire_all()
    assert event.registration_capacity == 10  # nothing saved yet

    confirmed = client.post(f"/events/{event.id}/edit", data={**data, "confirm_capacity": "1"})
    assert confirmed.status_code == 302
    db.session.expire_all()
    assert event.registration_capacity == 2

    # Raising it again, or leaving it unchanged, asks nothing.
    again = client.post(f"/events/{event.id}/edit", data={**data, "registration_capacity": "2", "title": "改名"})
    assert again.status_code == 302


def test_event_form_reports_reversed_times_with_other_errors(client, login, tree, create_event, create_program):
    program = create_program(org=tree["a"])
    event = create_event(program=program, org=tree["a"], publish=False)
    login(tree["org_a"])
    resp = client.post(f"/events/{event.id}/edit", data=_form(program, tree["a"], title="",
                                                                ends_at="2026-06-30T08:00"))
    html = resp.get_data(as_text=True)
    assert "请填写活动名称" in html and "结束时间必须晚于开始时间" in html


def test_program_form_reports_reversed_dates_with_other_errors(client, login, tree):
    login(tree["org_a"])
    resp = client.post("/programs/new", data={
        "year": "2026", "name": "", "organization_id": tree["a"].id,
        "starts_on": "2026-09-01", "ends_on": "2026-03-01"})
    html = resp.get_data(as_text=True)
    assert "请填写项目名称" in html and "结束日期不能早于开始日期" in html
