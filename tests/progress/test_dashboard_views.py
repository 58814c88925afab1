"""The dashboard: figures for the year, by program and by organization, scoped to the user."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event as sa_event

from eventsvc.programs.models import ATTENDANCES, PARTICIPANTS, SESSIONS
from eventsvc.programs.operations import TargetSpec


def _stat(html: str, name: str) -> int:
    match = re.search(rf'id="stat-{name}">(\d+)<', html)
    assert match, name
    return int(match.group(1))


@pytest.fixture
def year_of_work(db, tree, create_program, create_event,  # type: ignore[no-untyped-def]
                 create_check_in, create_participant):
    """A district program with street A's share, a street B program, and events with check-ins."""
    district = create_program(org=tree["root"], name="新就业形态劳动者服务月", targets=[
        TargetSpec(SESSIONS, 20), TargetSpec(ATTENDANCES, 200), TargetSpec(PARTICIPANTS, 150),
        TargetSpec(SESSIONS, 8, organization=tree["a"]),
    ])
    street_b = create_program(org=tree["b"], name="坂田职工书屋", targets=[TargetSpec(SESSIONS, 4)])
    create_program(org=tree["root"], name="上一年度项目", year=2025)
    same_person = create_participant("外卖员老王")
    a1 = create_event(district, tree["a"], title="平湖骑手座谈", hours=48)  # under way now
    a2 = create_event(district, tree["a_child"], title="白坭坑骑手体检")
    b1 = create_event(district, tree["b"], title="坂田骑手法律讲座")
    b2 = create_event(street_b, tree["b"], title="坂田读书会")
    create_event(district, tree["a"], title="平湖草稿活动", publish=False)
    create_event(district, tree["a"], title="平湖下周活动", starts_in=timedelta(days=7))
    for event, extra in ((a1, 2), (a2, 1), (b1, 3), (b2, 1)):
        create_check_in(event, same_person)
        for _ in range(extra):
            create_check_in(event)
    return {"district": district, "street_b": street_b}


def test_district_dashboard_shows_year_figures(tree, login, year_of_work):
    html = login(tree["admin"]).get("/?year=2026").get_data(as_text=True)
    assert "2026 年工作进度" in html
    # 4 held events; 3+2+4+2 = 11 check-ins; 7 extra people + 老王 = 8 people.
    assert (_stat(html, "sessions"), _stat(html, "attendances"), _stat(html, "participants")) == (4, 11, 8)
    # Every held event is under way (each began minutes ago); the draft and next week's event are not.
    assert _stat(html, "ongoing") == 4
    ongoing = html.split("<h2>正在进行</h2>", 1)[1].split("</section>", 1)[0]
    assert all(title in ongoing for title in ("平湖骑手座谈", "白坭坑骑手体检", "坂田骑手法律讲座", "坂田读书会"))
    assert "平湖草稿活动" not in html and "平湖下周活动" not in html
    assert "新就业形态劳动者服务月" in html and "坂田职工书屋" in html and "上一年度项目" not in html
    assert '<span class="done">3</span> / 20 场' in html and "还差 17 场" in html
    assert '<span class="done">9</span> / 200 人次' in html
    assert '<span class="done">7</span> / 150 人' in html
    assert '<span class="done">1</span> / 4 场' in html  # street B's own program
    # By organization, each street's subtree: A = 2 events, 5 check-ins, 4 people; B = 2, 6, 5.
    cells = re.findall(r"<tr>\s*<td>(?:<a [^>]*>)?([^<]+)(?:</a>)?</td>\s*"
                       r'<td class="num">(\d+)</td>\s*<td class="num">(\d+)</td>\s*<td class="num">(\d+)</td>', html)
    rows = {name: figures for name, *figures in [tuple(c) for c in cells]}
    assert rows[tree["a"].label] == ["2", "5", "4"]
    assert rows[tree["b"].label] == ["2", "6", "5"]
    assert "2026 年度进度一览 PDF" in html


def test_year_selector_switches_year(tree, login, year_of_work):
    html = login(tree["admin"]).get("/?year=2025").get_data(as_text=True)
    assert "2025 年工作进度" in html and "上一年度项目" in html and "新就业形态劳动者服务月" not in html
    assert (_stat(html, "sessions"), _stat(html, "attendances"), _stat(html, "ongoing")) == (0, 0, 0)
    assert '<option value="2026"' in html and "正在进行" not in html  # "now" belongs to this year only


def test_street_dashboard_shows_only_its_subtree_and_share(tree, login, year_of_work):
    html = login(tree["org_a"]).get("/?year=2026").get_data(as_text=True)
    assert (_stat(html, "sessions"), _stat(html, "attendances"), _stat(html, "participants")) == (2, 5, 4)
    assert "本单位完成" in html
    assert "新就业形态劳动者服务月" in html and "坂田职工书屋" not in html
    assert '<span class="done">2</span> / 20 场' in html
    assert '<span class="done">2</span> / 8 场' in html  # street A's share of the district target
    assert "坂田骑手法律讲座" not in html and tree["b"].label not in html
    assert tree["a_child"].label in html  # its community is a row of the table


def test_dashboard_links_org_rows_to_event_list(tree, login, year_of_work):
    html = login(tree["admin"]).get("/?year=2026").get_data(as_text=True)
    assert f'href="/events?org_id={tree["a"].id}&amp;year=2026">{tree["a"].label}</a>' in html
    assert f'href="/events?org_id={tree["b"].id}&amp;year=2026">{tree["b"].label}</a>' in html


def test_partial_refresh_returns_figures_only(tree, login, year_of_work):
    html = login(tree["admin"]).get("/?year=2026&partial=1").get_data(as_text=True)
    assert "<html" not in html and _stat(html, "sessions") == 4


def test_dashboard_requires_login(client, tree):
    resp = client.get("/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def _count_queries(db, client, url: str) -> int:  # type: ignore[no-untyped-def]
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def test_dashboard_query_count_does_not_grow_with_programs(db, tree, login, create_program, create_event,
                                                           create_check_in):
    def program_with_events(name: str) -> None:
        program = create_program(org=tree["root"], name=name)
        for org in (tree["a"], tree["b"], tree["a_child"]):
            event = create_event(program, org)
            create_check_in(event)
            create_check_in(event)

    client = login(tree["admin"])
    program_with_events("项目一")
    one = _count_queries(db, client, "/?year=2026")
    program_with_events("项目二")
    program_with_events("项目三")
    three = _count_queries(db, client, "/?year=2026")
    html = client.get("/?year=2026").get_data(as_text=True)
    assert _stat(html, "sessions") == 9 and "项目三" in html
    assert one == three, (one, three)
