"""The program list and the program page: what each user sees and the figures shown."""
from __future__ import annotations

from datetime import timedelta

from eventsvc.events.operations import set_quantities
from eventsvc.programs.models import ATTENDANCES, CUSTOM, SESSIONS
from eventsvc.programs.operations import TargetSpec


def _district_program_with_events(db, tree, create_program, create_event,  # type: ignore[no-untyped-def]
                                  create_check_in):
    """A district program: 2 events in street A (3 check-ins), 1 in street B (2 check-ins)."""
    program = create_program(org=tree["root"], name="劳模工匠宣讲", targets=[
        TargetSpec(SESSIONS, 10), TargetSpec(ATTENDANCES, 100),
        TargetSpec(CUSTOM, 50, label="宣讲资料", unit="册"),
        TargetSpec(SESSIONS, 4, organization=tree["a"]), TargetSpec(SESSIONS, 5, organization=tree["b"]),
    ])
    a1 = create_event(program, tree["a"], title="平湖宣讲第一场")
    a2 = create_event(program, tree["a_child"], title="白坭坑社区宣讲")
    b1 = create_event(program, tree["b"], title="坂田宣讲")
    create_event(program, tree["a"], title="平湖下月宣讲", starts_in=timedelta(days=20))
    for event, n in ((a1, 2), (a2, 1), (b1, 2)):
        for _ in range(n):
            create_check_in(event)
    set_quantities(a1, [("宣讲资料", "册", 30)], by=None)
    set_quantities(b1, [("宣讲资料", "册", 7)], by=None)
    db.session.commit()
    return program


def test_district_user_sees_whole_program(db, tree, login, create_program, create_event, create_check_in):
    program = _district_program_with_events(db, tree, create_program, create_event, create_check_in)
    html = login(tree["admin"]).get(f"/programs/{program.id}").get_data(as_text=True)
    assert '<span class="done">3</span> / 10 场' in html
    assert '<span class="done">5</span> / 100 人次' in html
    assert '<span class="done">37</span> / 50 册' in html
    assert "还差 7 场" in html and "还差 95 人次" in html
    assert "本单位完成" not in html
    # Shares: street A held 2 of 4, street B 1 of 5.
    assert f"场次（{tree['a'].label}分解）" in html and f"场次（{tree['b'].label}分解）" in html
    assert '<span class="done">2</span> / 4 场' in html and '<span class="done">1</span> / 5 场' in html
    # By organization: one row per street plus the total.
    assert "按组织统计" in html and "合计" in html
    for title in ("平湖宣讲第一场", "白坭坑社区宣讲", "坂田宣讲", "平湖下月宣讲"):
        assert title in html
    assert "未开始" in html and "进行中" in html


def test_street_user_sees_only_its_subtree(db, tree, login, create_program, create_event, create_check_in):
    program = _district_program_with_events(db, tree, create_program, create_event, create_check_in)
    html = login(tree["viewer_a"]).get(f"/programs/{program.id}").get_data(as_text=True)
    assert "本单位完成" in html
    assert '<span class="done">2</span> / 10 场' in html
    assert '<span class="done">3</span> / 100 人次' in html
    assert '<span class="done">30</span> / 50 册' in html
    # Its own share, not street B's.
    assert '<span class="done">2</span> / 4 场' in html and "/ 5 场" not in html
    assert "平湖宣讲第一场" in html and "白坭坑社区宣讲" in html
    assert "坂田宣讲" not in html and tree["b"].label not in html


def test_progress_json_is_scoped(db, tree, login, create_program, create_event, create_check_in):
    program = _district_program_with_events(db, tree, create_program, create_event, create_check_in)
    data = login(tree["admin"]).get(f"/api/programs/{program.id}/progress").get_json()
    assert data["ok"] is True and data["scoped"] is False
    done = {(t["metric"], t["label"]): (t["done"], t["goal"], t["remaining"]) for t in data["targets"]}
    assert done[(SESSIONS, "场次")] == (3, 10, 7)
    assert done[(ATTENDANCES, "人次")] == (5, 100, 95)
    assert done[(CUSTOM, "宣讲资料")] == (37, 50, 13)
    shares = sorted((s["organization"], s["done"]) for s in data["shares"])
    assert shares == sorted([(tree["b"].label, 1), (tree["a"].label, 2)])

    data = login(tree["org_a"]).get(f"/api/programs/{program.id}/progress").get_json()
    assert data["scoped"] is True and data["totals"]["attendances"] == 3
    assert [(s["organization"], s["done"], s["goal"]) for s in data["shares"]] == [(tree["a"].label, 2, 4)]


def test_list_filters_by_year_and_category_and_shows_progress(db, tree, login, create_program,
                                                              create_event, create_check_in):
    program = _district_program_with_events(db, tree, create_program, create_event, create_check_in)
    program.category = "劳模工匠"
    create_program(org=tree["a"], name="平湖职工运动会", category="文体活动", plan_item="7")
    create_program(org=tree["b"], name="坂田职工书屋")
    create_program(org=tree["root"], name="去年的项目", year=2025)
    db.session.commit()
    client = login(tree["org_a"])

    html = client.get("/programs?year=2026").get_data(as_text=True)
    assert "劳模工匠宣讲" in html and "平湖职工运动会" in html and "第 7 条" in html
    assert "坂田职工书屋" not in html and "去年的项目" not in html
    assert "场次 2/10场 · 20.0%" in html  # street A's contribution (percent to one decimal, issue 10 §2)
    assert "新建项目" in html

    html = client.get("/programs?year=2026&category=文体活动").get_data(as_text=True)
    assert "平湖职工运动会" in html and "劳模工匠宣讲" not in html
    html = client.get("/programs?year=2025").get_data(as_text=True)
    assert "去年的项目" in html and "劳模工匠宣讲" not in html


def test_list_paginates(db, tree, login, create_program, app):
    app.config["PAGE_SIZE"] = 2
    for i in range(5):
        create_program(org=tree["a"], name=f"分页项目{i}", plan_item=f"{i}")
    client = login(tree["org_a"])
    first = client.get("/programs?year=2026").get_data(as_text=True)
    assert "第 1 / 3 页" in first and "分页项目0" in first and "分页项目2" not in first
    third = client.get("/programs?year=2026&page=3").get_data(as_text=True)
    assert "分页项目4" in third


def test_list_and_page_query_counts_do_not_grow(db, tree, login, create_program, create_event, create_check_in):
    from sqlalchemy import event as sa_event

    def queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
        seen: list[str] = []

        def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
            seen.append(statement)

        sa_event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(url).status_code == 200
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    def program_with_events(name: str):  # type: ignore[no-untyped-def]
        program = create_program(org=tree["root"], name=name, targets=[
            TargetSpec(SESSIONS, 9), TargetSpec(SESSIONS, 3, organization=tree["a"]),
            TargetSpec(SESSIONS, 3, organization=tree["b"]),
        ])
        for org in (tree["a"], tree["b"]):
            create_check_in(create_event(program, org))
        return program

    client = login(tree["admin"])
    first = program_with_events("项目一")
    list_one, page_one = queries(client, "/programs?year=2026"), queries(client, f"/programs/{first.id}")
    for name in ("项目二", "项目三"):
        program_with_events(name)
    for _ in range(3):
        create_check_in(create_event(first, tree["a_child"]))
    assert queries(client, "/programs?year=2026") == list_one
    assert queries(client, f"/programs/{first.id}") == page_one
