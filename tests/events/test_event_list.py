"""The event list: scope, filters, order, 人次 counts, paging."""
from __future__ import annotations

import re
from datetime import timedelta

from eventsvc.events.operations import cancel_event


def _titles(html: str) -> list[str]:
    return re.findall(r'<a href="/events/\d+">([^<]+)</a>', html)


def test_list_shows_scope_only_newest_first_with_counts(db, client, login, tree, create_program, create_event,
                                                         create_check_in):
    program = create_program(org=tree["root"], name="夏送清凉")
    older = create_event(program, tree["a"], title="平湖第一场", starts_in=timedelta(days=-3))
    newer = create_event(program, tree["a_child"], title="白坭坑社区场", starts_in=timedelta(days=-1))
    create_event(program, tree["b"], title="坂田的活动")
    for _ in range(3):
        create_check_in(newer)
    create_check_in(older)

    login(tree["org_a"])
    html = client.get("/events").get_data(as_text=True)
    assert _titles(html) == ["白坭坑社区场", "平湖第一场"]
    assert "坂田的活动" not in html
    rows = html.split("<tbody>")[1]
    assert re.search(r'data-label="人次" class="num">3<', rows) and re.search(r'data-label="人次" class="num">1<', rows)
    assert "夏送清凉" in rows and "已发布" in rows

    login(tree["admin"])
    assert "坂田的活动" in client.get("/events").get_data(as_text=True)


def test_filters_narrow_the_list(db, client, login, tree, create_program, create_event):
    p2026 = create_program(org=tree["root"], name="劳模宣讲", year=2026)
    p2025 = create_program(org=tree["root"], name="往年项目", year=2025)
    create_event(p2026, tree["a"], title="劳模进企业")
    create_event(p2026, tree["a_child"], title="社区宣讲会", publish=False)
    create_event(p2025, tree["a"], title="去年的活动", starts_in=timedelta(days=-400))
    gone = create_event(p2026, tree["a"], title="取消的活动")
    cancel_event(gone, by=None)
    db.session.commit()
    login(tree["org_a"])

    assert _titles(client.get("/events?year=2025").get_data(as_text=True)) == ["去年的活动"]
    assert set(_titles(client.get(f"/events?program_id={p2026.id}").get_data(as_text=True))) == {
        "劳模进企业", "社区宣讲会", "取消的活动"}
    assert _titles(client.get("/events?status=draft").get_data(as_text=True)) == ["社区宣讲会"]
    assert _titles(client.get("/events?status=cancelled").get_data(as_text=True)) == ["取消的活动"]
    assert _titles(client.get("/events?q=宣讲").get_data(as_text=True)) == ["社区宣讲会"]
    assert _titles(client.get(f"/events?org_id={tree['a_child'].id}").get_data(as_text=True)) == ["社区宣讲会"]
    # another street's id is ignored rather than leaking anything
    assert len(_titles(client.get(f"/events?org_id={tree['b'].id}").get_data(as_text=True))) == 4
    last_year = client.get("/events?date_from=2000-01-01&date_to=" + _days_ago(200)).get_data(as_text=True)
    assert _titles(last_year) == ["去年的活动"]
    assert "没有符合条件的活动" in client.get("/events?q=不存在的活动").get_data(as_text=True)


def _days_ago(days: int) -> str:
    from eventsvc.core.timeutil import to_local, utcnow

    return (to_local(utcnow()) - timedelta(days=days)).strftime("%Y-%m-%d")


def test_list_paginates(app, client, login, tree, create_program, create_event):
    app.config["PAGE_SIZE"] = 5
    program = create_program(org=tree["root"])
    for i in range(7):
        create_event(program, tree["a"], title=f"场次{i}", starts_in=timedelta(days=-i))
    login(tree["viewer_a"])
    first = client.get("/events").get_data(as_text=True)
    assert len(_titles(first)) == 5 and "第 1 / 2 页" in first
    assert _titles(client.get("/events?page=2").get_data(as_text=True)) == ["场次5", "场次6"]
    assert "新建活动" not in first  # a viewer is offered no changes
