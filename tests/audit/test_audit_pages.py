"""/admin/audit: scoped to the administrator's subtree, object histories for whoever sees the object, xlsx export."""
from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook

from eventsvc.audit.operations import record
from eventsvc.events.operations import update_event
from eventsvc.extensions import db


def _entries(tree) -> None:  # type: ignore[no-untyped-def]
    record(None, "test.note", tree["a"], summary="平湖街道的记录")
    record(None, "test.note", tree["a_child"], summary="白坭坑社区的记录")
    record(None, "test.note", tree["b"], summary="坂田街道的记录")
    db.session.commit()


def test_street_admin_sees_its_subtree_only(client, login, tree, create_user) -> None:  # type: ignore[no-untyped-def]
    _entries(tree)
    login(create_user("admin", tree["a"], "admin_a"))
    html = client.get("/admin/audit?action=test.").get_data(as_text=True)
    assert "平湖街道的记录" in html and "白坭坑社区的记录" in html
    assert "坂田街道的记录" not in html
    # Asking for the other street's unit is refused, not answered.
    resp = client.get(f"/admin/audit?action=test.&org_id={tree['b'].id}")
    assert resp.status_code == 400 and "不在您的管理范围内" in resp.get_data(as_text=True)
    assert "坂田街道的记录" not in resp.get_data(as_text=True)
    only_child = client.get(f"/admin/audit?action=test.&org_id={tree['a_child'].id}").get_data(as_text=True)
    assert "白坭坑社区的记录" in only_child and "平湖街道的记录" not in only_child


def test_district_admin_sees_all_and_filters(client, login, tree) -> None:  # type: ignore[no-untyped-def]
    _entries(tree)
    login(tree["admin"])
    html = client.get("/admin/audit?action=test.").get_data(as_text=True)
    assert all(s in html for s in ("平湖街道的记录", "白坭坑社区的记录", "坂田街道的记录"))
    assert client.get("/admin/audit?actor=system&action=test.").status_code == 200
    assert "坂田街道的记录" not in client.get("/admin/audit?actor=nobody&action=test.").get_data(as_text=True)


def test_non_admins_get_only_object_histories(client, login, tree, create_event) -> None:  # type: ignore[no-untyped-def]
    event = create_event(org=tree["a"], title="平湖的活动")
    update_event(event, by=tree["org_a"], title="平湖的活动（改）")
    _entries(tree)
    login(tree["org_a"])
    assert client.get("/admin/audit").status_code == 403
    html = client.get(f"/admin/audit?object_type=event&object_id={event.id}").get_data(as_text=True)
    assert "平湖的活动（改）" in html and "event.update" in html and "event.publish" in html
    assert "平湖街道的记录" not in html  # only this event's entries
    program_html = client.get(f"/admin/audit?object_type=program&object_id={event.program_id}").get_data(as_text=True)
    assert "program.create" in program_html
    login(tree["org_b"])
    assert client.get(f"/admin/audit?object_type=event&object_id={event.id}").status_code == 404
    assert client.get(f"/admin/audit?object_type=event&object_id={event.id}&page=2").status_code == 404


def test_event_and_program_pages_link_to_their_history(client, login, tree, create_event) -> None:  # type: ignore[no-untyped-def]
    event = create_event(org=tree["a"])
    login(tree["org_a"])
    event_page = client.get(f"/events/{event.id}", follow_redirects=True).get_data(as_text=True)
    assert f"/admin/audit?object_type=event&amp;object_id={event.id}" in event_page
    program_page = client.get(f"/programs/{event.program_id}").get_data(as_text=True)
    assert f"/admin/audit?object_type=program&amp;object_id={event.program_id}" in program_page
    login(tree["admin"])
    assert 'href="/admin/audit"' in client.get("/").get_data(as_text=True)


def test_bad_filters_answer_400_with_a_message(client, login, tree) -> None:  # type: ignore[no-untyped-def]
    login(tree["admin"])
    resp = client.get("/admin/audit?date_from=2026-13-45&object_id=abc")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "开始日期格式" in html and "对象编号应为数字" in html
    assert client.get("/admin/audit/export.xlsx?date_to=yesterday").status_code == 400
    assert client.get("/admin/audit?page=x&action=" + "a" * 500).status_code == 200


def test_export_is_the_filtered_list_with_formulas_neutralized(client, login, tree) -> None:  # type: ignore[no-untyped-def]
    _entries(tree)
    record(None, "test.formula", tree["a"], summary="=HYPERLINK(\"http://x\")")
    db.session.commit()
    login(tree["admin"])
    resp = client.get("/admin/audit/export.xlsx?action=test.")
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(resp.data)).active
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    summaries = {r[6] for r in rows}
    assert summaries == {"平湖街道的记录", "白坭坑社区的记录", "坂田街道的记录", "'=HYPERLINK(\"http://x\")"}
    assert {r[1] for r in rows} == {"系统"} and {r[2] for r in rows} == {"test.note", "test.formula"}


def test_date_range_uses_china_days(client, login, tree) -> None:  # type: ignore[no-untyped-def]
    from eventsvc.audit.models import AuditEntry
    from eventsvc.core.timeutil import from_local, to_local, utcnow

    today = to_local(utcnow()).date()
    old = AuditEntry(at=from_local(to_local(utcnow()) - timedelta(days=3)), action="test.old", summary="三天前的记录",
                     organization_id=tree["a"].id)
    db.session.add(old)
    record(None, "test.new", tree["a"], summary="今天的记录")
    db.session.commit()
    login(tree["admin"])
    html = client.get(f"/admin/audit?action=test.&date_from={today:%Y-%m-%d}&date_to={today:%Y-%m-%d}").get_data(
        as_text=True)
    assert "今天的记录" in html and "三天前的记录" not in html


def test_pages(client, login, tree, app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "PAGE_SIZE", 5)
    for n in range(7):
        record(None, "test.page", tree["a"], summary=f"第{n}条")
    db.session.commit()
    login(tree["admin"])
    first = client.get("/admin/audit?action=test.page").get_data(as_text=True)
    second = client.get("/admin/audit?action=test.page&page=2").get_data(as_text=True)
    assert "第 1 / 2 页，共 7 条" in first and "第6条" in first and "第0条" not in first
    assert "第0条" in second and "第6条" not in second
