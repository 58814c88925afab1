"""The staff event page: details, live count, attendee list with masked phones, walk-in check-in."""
from __future__ import annotations

from sqlalchemy import func, select

from eventsvc.checkin.models import MANUAL, CheckIn, Participant
from eventsvc.events.operations import set_quantities


def test_event_page_shows_details_count_and_masked_attendees(db, client, login, tree, create_event,
                                                              create_participant, create_check_in):
    event = create_event(org=tree["a"], title="户外劳动者法律服务", venue_name="平湖暖蜂驿站", capacity=50)
    set_quantities(event, [("清凉礼包", "份", 300)], by=None)
    db.session.commit()
    create_check_in(event, create_participant("王小明", "13812345678", "顺丰速运", "快递员"))
    create_check_in(event, create_participant("赵丽", "13900001111", "美团", "外卖员"))
    login(tree["viewer_a"])
    html = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "户外劳动者法律服务" in html and "平湖暖蜂驿站" in html and "平湖街道总工会" in html
    assert "清凉礼包" in html and "300 份" in html
    assert 'id="live-count"' in html and ">2</span>" in html and "容量 50 人" in html
    assert "王小明" in html and "138****5678" in html and "顺丰速运" in html and "快递员" in html
    assert "扫码自助" in html
    assert "13812345678" not in html and "13900001111" not in html
    assert "人工补录签到" not in html  # a viewer cannot check people in
    assert f"/events/{event.id}/edit" not in html


def test_attendee_search_by_name_or_last_four_digits(db, client, login, tree, create_event, create_participant,
                                                       create_check_in):
    event = create_event(org=tree["a"])
    create_check_in(event, create_participant("王小明", "13812345678"))
    create_check_in(event, create_participant("赵丽", "13900001111"))
    login(tree["org_a"])
    by_digits = client.get(f"/events/{event.id}?q=5678").get_data(as_text=True)
    assert "王小明" in by_digits and "赵丽" not in by_digits
    by_name = client.get(f"/events/{event.id}?q=赵").get_data(as_text=True)
    assert "赵丽" in by_name and "王小明" not in by_name
    assert "没有找到匹配的签到记录" in client.get(f"/events/{event.id}?q=不存在").get_data(as_text=True)


def test_attendee_list_is_paginated_newest_first(app, db, client, login, tree, create_event, create_check_in):
    app.config["PAGE_SIZE"] = 3
    event = create_event(org=tree["a"])
    for _ in range(4):
        create_check_in(event)
    login(tree["org_a"])
    html = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "第 1 / 2 页" in html and "签到名单（4）" in html
    assert html.count('data-label="姓名"') == 3
    assert client.get(f"/events/{event.id}?page=2").get_data(as_text=True).count('data-label="姓名"') == 1


def test_stats_json_counts_check_ins(client, login, tree, create_event, create_check_in):
    event = create_event(org=tree["a"], capacity=80, expected_attendance=60)
    login(tree["checker_a"])
    data = client.get(f"/api/events/{event.id}/stats").get_json()
    assert data == {"ok": True, "count": 0, "capacity": 80, "expected": 60, "last_at": None, "status": "published"}
    create_check_in(event)
    create_check_in(event)
    data = client.get(f"/api/events/{event.id}/stats").get_json()
    assert data["count"] == 2 and len(data["last_at"]) == 8  # HH:MM:SS, China time


def _walk_in(client, event, **overrides):  # type: ignore[no-untyped-def]
    data = {"name": "张伟", "phone": "138 0013 8000", "workplace": "平湖环卫所", "group": "环卫工人"}
    data.update(overrides)
    return client.post(f"/events/{event.id}/walk-in", data=data, follow_redirects=True)


def test_walk_in_checks_a_worker_in_by_hand(db, client, login, tree, create_event):
    event = create_event(org=tree["a"])
    login(tree["checker_a"])
    html = _walk_in(client, event).get_data(as_text=True)
    assert "已为 张伟 签到" in html
    record = db.session.scalars(select(CheckIn)).one()
    assert record.method == MANUAL and record.by_user_id == tree["checker_a"].id
    person = db.session.get(Participant, record.participant_id)
    assert (person.phone, person.workplace, person.group) == ("13800138000", "平湖环卫所", "环卫工人")
    assert "138****8000" in html and "人工补录" in html


def test_walk_in_twice_says_already_checked_in(db, client, login, tree, create_event):
    event = create_event(org=tree["a"])
    login(tree["org_a"])
    _walk_in(client, event)
    first = db.session.scalars(select(CheckIn)).one()
    html = _walk_in(client, event, phone="13800138000").get_data(as_text=True)
    from eventsvc.core.timeutil import fmt_local

    assert f"该职工已于 {fmt_local(first.checked_in_at, '%H:%M')} 签到" in html
    assert db.session.scalar(select(func.count(CheckIn.id))) == 1


def test_walk_in_with_a_bad_phone_shows_the_error_and_stores_nothing(db, client, login, tree, create_event):
    event = create_event(org=tree["a"])
    login(tree["org_a"])
    resp = _walk_in(client, event, phone="12345")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "请输入正确的 11 位手机号码" in html and 'value="张伟"' in html
    assert db.session.scalar(select(func.count(CheckIn.id))) == 0
    assert db.session.scalar(select(func.count(Participant.id))) == 0
    html = _walk_in(client, event, name="").get_data(as_text=True)
    assert "请填写姓名" in html


def test_walk_in_works_after_the_window_but_not_for_a_cancelled_event(db, client, login, tree, create_event):
    from datetime import timedelta

    from eventsvc.events.operations import cancel_event

    finished = create_event(org=tree["a"], starts_in=timedelta(days=-2))
    login(tree["org_a"])
    assert "已为 张伟 签到" in _walk_in(client, finished).get_data(as_text=True)  # a late paper entry

    cancelled = create_event(org=tree["a"])
    cancel_event(cancelled, by=None)
    db.session.commit()
    html = _walk_in(client, cancelled, phone="13900139000").get_data(as_text=True)
    assert "已取消" in html
    assert db.session.scalar(select(func.count(CheckIn.id)).where(CheckIn.event_id == cancelled.id)) == 0


def test_page_forms_carry_csrf_tokens_and_posts_without_one_are_refused(app, db, client, login, tree, create_event):
    event = create_event(org=tree["a"], publish=False)
    login(tree["org_a"])
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"/events/{event.id}/publish").status_code == 400
        html = client.get(f"/events/{event.id}").get_data(as_text=True)
        token = html.split('name="csrf_token" value="')[1].split('"')[0]
        assert client.post(f"/events/{event.id}/publish", data={"csrf_token": token}).status_code == 302
        walk_in_token = html.split('id="walk-in"')[1].split('name="csrf_token" value="')[1].split('"')[0]
        resp = client.post(f"/events/{event.id}/walk-in", follow_redirects=True,
                           data={"csrf_token": walk_in_token, "name": "张伟", "phone": "13800138000"})
        assert "已为 张伟 签到" in resp.get_data(as_text=True)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.session.expire_all()
    assert event.status == "published"
