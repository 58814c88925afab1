"""Creating and editing events through the pages: stored results, validation, nothing lost."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from eventsvc.events.models import DRAFT, QR_DYNAMIC, Event
from eventsvc.programs.models import CUSTOM, SESSIONS
from eventsvc.programs.operations import TargetSpec
from tests.events.helpers import local_input


def _form(program, org, **overrides):  # type: ignore[no-untyped-def]
    data = {
        "program_id": program.id, "organization_id": org.id, "title": "夏送清凉进驿站",
        "description": "为户外劳动者送清凉", "level": "街道级", "kind": "慰问",
        "starts_at": "2026-07-01T09:00", "ends_at": "2026-07-01T11:30",
        "venue_name": "平湖暖蜂驿站", "venue_address": "平湖街道守珍街 1 号", "capacity": "80",
        "target_groups": ["外卖员", "环卫工人"], "registration_mode": "off", "qr_mode": "static",
        "quantities-0-label": "清凉礼包", "quantities-0-unit": "份", "quantities-0-value": "300",
        "quantities-1-label": "", "quantities-1-unit": "", "quantities-1-value": "",
    }
    data.update(overrides)
    return data


def _count_events(db) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count(Event.id)))


def test_organizer_creates_a_draft_event_with_china_times_and_quantities(db, client, login, tree, create_program):
    program = create_program(org=tree["root"])
    login(tree["org_a"])
    resp = client.post(f"/programs/{program.id}/events/new", data=_form(program, tree["a"], waitlist_enabled="y",
                                                                          checkout_enabled="y", qr_mode=QR_DYNAMIC))
    assert resp.status_code == 302
    event = db.session.scalars(select(Event)).one()
    assert resp.headers["Location"].endswith(f"/events/{event.id}")
    assert event.title == "夏送清凉进驿站"
    assert event.status == DRAFT
    assert event.organization_id == tree["a"].id
    assert event.starts_at == datetime(2026, 7, 1, 1, 0)  # 09:00 China time is 01:00 UTC
    assert event.ends_at == datetime(2026, 7, 1, 3, 30)
    assert event.capacity == 80
    assert event.group_list == ["外卖员", "环卫工人"]
    assert event.qr_mode == QR_DYNAMIC and event.checkout_enabled and event.waitlist_enabled
    assert [(q.label, q.unit, q.value) for q in event.quantities] == [("清凉礼包", "份", 300)]
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "夏送清凉进驿站" in page and "2026-07-01 09:00" in page and "草稿" in page


def test_create_form_defaults_to_own_org_and_prefills_custom_labels(client, login, tree, create_program):
    program = create_program(org=tree["root"], targets=[TargetSpec(SESSIONS, 10),
                                                        TargetSpec(CUSTOM, 2000, label="清凉礼包", unit="份")])
    login(tree["org_a"])
    html = client.get(f"/programs/{program.id}/events/new").get_data(as_text=True)
    assert f'<option selected value="{tree["a"].id}">' in html or f'value="{tree["a"].id}" selected' in html
    assert 'value="清凉礼包"' in html
    assert "报名与签到设置" in html
    organizer = html.split('name="organization_id"', 1)[1].split("</select>", 1)[0]
    assert "坂田" not in organizer  # another street is not offered as organizer (it may co-organize)


def test_end_before_start_rerenders_with_message_and_stores_nothing(db, client, login, tree, create_program):
    program = create_program(org=tree["root"])
    login(tree["org_a"])
    resp = client.post(f"/programs/{program.id}/events/new",
                       data=_form(program, tree["a"], starts_at="2026-07-01T10:00", ends_at="2026-07-01T09:00"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "结束时间必须晚于开始时间" in html
    assert 'value="夏送清凉进驿站"' in html and 'value="平湖暖蜂驿站"' in html  # nothing typed is lost
    assert 'value="300"' in html
    assert _count_events(db) == 0


def test_bad_capacity_and_bad_time_show_messages_beside_fields(db, client, login, tree, create_program):
    program = create_program(org=tree["root"])
    login(tree["org_a"])
    html = client.post(f"/programs/{program.id}/events/new",
                       data=_form(program, tree["a"], capacity="很多", starts_at="明天")).get_data(as_text=True)
    assert "请填写整数" in html and "请按“年-月-日 时:分”填写时间" in html
    url = f"/programs/{program.id}/events/new"
    html = client.post(url, data=_form(program, tree["a"], capacity="0")).get_data(as_text=True)
    assert "人数必须是正整数" in html
    html = client.post(url, data=_form(program, tree["a"], title="")).get_data(as_text=True)
    assert "请填写活动名称" in html
    html = client.post(f"/programs/{program.id}/events/new",
                       data=_form(program, tree["a"], requires_registration="y")).get_data(as_text=True)
    assert "要求凭报名签到时，必须开启报名" in html
    html = client.post(f"/programs/{program.id}/events/new", data=_form(
        program, tree["a"], **{"quantities-1-label": "清凉礼包", "quantities-1-value": "5"})).get_data(as_text=True)
    assert "“清凉礼包”填写了两次" in html
    assert _count_events(db) == 0


def test_organizer_cannot_pick_another_streets_org(db, client, login, tree, create_program):
    program = create_program(org=tree["root"])
    login(tree["org_a"])
    html = client.post(f"/programs/{program.id}/events/new", data=_form(program, tree["b"])).get_data(as_text=True)
    assert "不是有效的选择" in html
    assert _count_events(db) == 0


def test_other_streets_program_is_not_found(client, login, tree, create_program):
    program_b = create_program(org=tree["b"])
    login(tree["org_a"])
    assert client.get(f"/programs/{program_b.id}/events/new").status_code == 404


def test_edit_changes_stored_event_and_bad_input_keeps_the_old_one(db, client, login, tree, create_event):
    event = create_event(org=tree["a"], program=None, publish=False, title="旧名称")
    # the factory's program belongs to the district; the event is street A's
    login(tree["org_a"])
    page = client.get(f"/events/{event.id}/edit").get_data(as_text=True)
    assert 'value="旧名称"' in page
    resp = client.post(f"/events/{event.id}/edit", data=_form(
        event.program, tree["a_child"], title="新名称", **{"quantities-0-value": "120"}))
    assert resp.status_code == 302
    db.session.expire_all()
    assert event.title == "新名称"
    assert event.organization_id == tree["a_child"].id
    assert [(q.label, q.value) for q in event.quantities] == [("清凉礼包", 120)]

    resp = client.post(f"/events/{event.id}/edit", data=_form(event.program, tree["a"], title="坏的",
                                                                 ends_at="2026-06-30T08:00"))
    assert "结束时间必须晚于开始时间" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert event.title == "新名称"


def test_edit_form_shows_china_times(client, login, tree, create_event):
    event = create_event(org=tree["a"])
    login(tree["org_a"])
    html = client.get(f"/events/{event.id}/edit").get_data(as_text=True)
    from eventsvc.core.timeutil import to_local

    assert local_input(to_local(event.starts_at)) in html


def test_new_event_chooser_leads_to_the_programs_form(client, login, tree, create_program):
    program = create_program(org=tree["root"], name="劳模工匠宣讲")
    login(tree["org_a"])
    assert "劳模工匠宣讲" in client.get("/events/new").get_data(as_text=True)
    resp = client.get(f"/events/new?program_id={program.id}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/programs/{program.id}/events/new")


def test_nan_and_infinity_in_a_quantity_are_a_field_message_not_a_500(db, client, login, tree, create_program):
    # Decimal reads "NaN", "sNaN" and "Infinity", and a NaN cannot be compared with a bound: it was a 500.
    program = create_program(org=tree["root"])
    login(tree["org_a"])
    for typed in ("NaN", "NAN", "sNaN", "Infinity", "-inf"):
        resp = client.post(f"/programs/{program.id}/events/new",
                           data=_form(program, tree["a"], **{"quantities-0-value": typed}))
        assert resp.status_code == 200, typed  # the form again, with the message beside the field
        page = resp.get_data(as_text=True)
        assert "请填写数字（最多两位小数）" in page or "数量太大" in page, typed
    assert _count_events(db) == 0
