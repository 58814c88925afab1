"""今日活动: a checker logging in lands on today's and tomorrow's events with big buttons and the live count."""
from __future__ import annotations

from datetime import timedelta

from eventsvc.checkin.staff.today_views import local_day_start
from eventsvc.core.timeutil import utcnow
from eventsvc.events.operations import cancel_event
from eventsvc.extensions import db


def _at(day: int, hour: int) -> timedelta:
    """Offset from now to `hour` o'clock China time, `day` days from today."""
    return local_day_start(utcnow()) + timedelta(days=day, hours=hour) - utcnow()


def test_checker_lands_on_today_with_buttons_and_count(client, tree, create_event, create_program,
                                                          create_check_in):
    program = create_program(org=tree["a"])
    today = create_event(program=program, org=tree["a"], starts_in=_at(0, 10), hours=14, title="平湖今天的培训")
    tomorrow = create_event(program=program, org=tree["a"], starts_in=_at(1, 9), title="平湖明天的宣讲")
    create_event(program=program, org=tree["a"], starts_in=_at(3, 9), title="后天以后的活动")
    create_event(program=program, org=tree["a"], starts_in=_at(0, 10), title="未发布的草稿", publish=False)
    create_event(program=create_program(org=tree["b"]), org=tree["b"], starts_in=_at(0, 10), title="坂田的活动")
    gone = create_event(program=program, org=tree["a"], starts_in=_at(1, 15), title="取消了的活动")
    cancel_event(gone, by=tree["org_a"], reason="台风")
    db.session.commit()
    for _ in range(3):
        create_check_in(today)

    resp = client.post("/login", data={"username": "checker_a", "password": "correct-horse-26"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/today")
    html = client.get("/today").get_data(as_text=True)
    assert "今日活动" in html and "平湖今天的培训" in html and "平湖明天的宣讲" in html
    assert html.index("平湖今天的培训") < html.index("明天") < html.index("平湖明天的宣讲")
    for absent in ("后天以后的活动", "未发布的草稿", "坂田的活动"):
        assert absent not in html
    assert f'/events/{today.id}/scanner"' in html and f'/events/{today.id}/scanner#walkin-box"' in html
    assert f'/events/{today.id}/wall"' in html and f'/events/{tomorrow.id}/scanner"' in html  # wall: no redirect
    assert "扫码核销" in html and "现场登记" in html and "大屏" in html
    assert '>3</b> 人次' in html
    # The cancelled event is listed, marked, with no buttons.
    assert "取消了的活动" in html and "已取消" in html and f"/events/{gone.id}/scanner" not in html


def test_organizer_lands_on_dashboard_and_reaches_today_from_nav(client, login, tree):
    resp = client.post("/login", data={"username": "org_a", "password": "correct-horse-26"})
    assert resp.status_code == 302 and not resp.headers["Location"].endswith("/today")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'href="/today"' in page
    assert "没有需要签到的活动" in client.get("/today").get_data(as_text=True)


def test_viewer_may_not_open_today(client, login, tree):
    login(tree["viewer_a"])
    assert client.get("/today").status_code == 403
