"""Unit administration: create, edit, move (scope follows), deactivate rules, permissions, one audit entry each."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from eventsvc.audit.models import AuditEntry
from eventsvc.core.exceptions import OperationError
from eventsvc.events.operations import cancel_event
from eventsvc.extensions import db
from eventsvc.orgs.models import FEDERATION, WORKPLACE, Organization
from eventsvc.orgs.operations import units as ops


def _entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _fresh(org: Organization) -> Organization:
    db.session.expire_all()
    found = db.session.get(Organization, org.id)
    assert found is not None
    return found


@pytest.fixture
def street_admin(tree, create_user) -> Any:  # type: ignore[no-untyped-def]
    """An administrator of street A (平湖), who manages its subtree only."""
    return create_user("admin", org=tree["a"], username="admin_a")


def test_admin_creates_a_unit_and_sees_it_in_the_tree(client, login, tree):
    login(tree["admin"])
    resp = client.post("/admin/organizations/new", data={
        "name": "平湖华南城园区工联会", "short_name": "华南城", "kind": "federation:park",
        "parent_id": tree["a"].id, "contact_name": "陈红", "contact_phone": "13812345678", "sort_order": "0",
    }, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "已添加“平湖华南城园区工联会”" in html
    assert "园区工联会" in html and "138****5678" in html and "13812345678" not in html
    unit = db.session.scalar(select(Organization).where(Organization.name == "平湖华南城园区工联会"))
    assert unit is not None and unit.parent_id == tree["a"].id and (unit.kind, unit.subtype) == (FEDERATION, "park")
    assert unit.path == f"{tree['a'].path}{unit.id}/"
    [entry] = _entries("org.create")[-1:]
    assert entry.actor_id == tree["admin"].id and entry.object_id == unit.id
    assert entry.changes is not None and entry.changes["name"] == [None, "平湖华南城园区工联会"]
    assert entry.changes["contact_phone"] == [None, "138****5678"]  # masked in the log


def test_create_form_shows_errors_without_a_500(client, login, tree):
    login(tree["admin"])
    resp = client.post("/admin/organizations/new", data={
        "name": "平湖街道白坭坑社区工联会", "kind": "federation", "parent_id": tree["a"].id, "contact_phone": "abc"})
    assert resp.status_code == 400 and "联系电话格式不正确" in resp.get_data(as_text=True)
    resp = client.post("/admin/organizations/new", data={
        "name": "平湖街道白坭坑社区工联会", "kind": "federation", "parent_id": tree["a"].id})
    assert resp.status_code == 400 and "已存在" in resp.get_data(as_text=True)
    resp = client.post("/admin/organizations/new",
                       data={"name": "新部室", "kind": "department", "parent_id": tree["a"].id})
    assert resp.status_code == 400 and "部室只能直接设在区总工会下" in resp.get_data(as_text=True)


def test_tree_page_shows_counts_with_a_fixed_number_of_queries(client, login, tree, create_program, create_event):
    program = create_program(org=tree["a"])
    create_event(program, tree["a_child"])
    create_event(program, tree["a_child"])
    login(tree["admin"])

    def statements() -> int:
        seen: list[str] = []
        db.session.expire_all()  # the same reloads each time (the logged-in user among them)
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        sa_event.listen(db.engine, "before_cursor_execute", listener)
        try:
            html = client.get("/admin/organizations").get_data(as_text=True)
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", listener)
        assert "用户 0 · 活动 2 · 项目 0" in html  # the community: two events, no users, no programs
        assert "用户 3 · 活动 0 · 项目 1" in html  # street A: org_a, checker_a, viewer_a and the program
        return len(seen)

    few = statements()
    for n in range(20):
        ops.create_organization(f"平湖第{n}单位工会", WORKPLACE, tree["a_child"], by=None)
    db.session.commit()
    assert statements() == few  # grouped counts: no query per unit


def test_search_keeps_hits_and_their_ancestors(client, login, tree):
    login(tree["admin"])
    html = client.get("/admin/organizations?q=白坭坑").get_data(as_text=True)
    assert f'id="unit-{tree["a_child"].id}" data-search' in html
    shown = f'id="unit-{tree["a"].id}" data-search="平湖街道总工会 平湖街道总工会">'
    hidden = f'id="unit-{tree["b"].id}" data-search="坂田街道总工会 坂田街道总工会" hidden>'
    assert shown in html and hidden in html


def test_edit_renames_with_one_entry_of_before_and_after(client, login, tree):
    login(tree["admin"])
    resp = client.post(f"/admin/organizations/{tree['b'].id}/edit", data={
        "name": "坂田街道总工会（新）", "short_name": "坂田", "kind": "street", "contact_name": "", "contact_phone": "",
        "sort_order": "0"}, follow_redirects=True)
    assert "已保存“坂田街道总工会（新）”" in resp.get_data(as_text=True)
    [entry] = _entries("org.update")
    assert entry.changes == {"name": ["坂田街道总工会", "坂田街道总工会（新）"],
                             "short_name": ["坂田街道总工会", "坂田"]}


def test_move_confirms_first_then_scope_follows(client, login, tree, create_user):
    child, a, b = tree["a_child"], tree["a"], tree["b"]
    grandchild = ops.create_organization("白坭坑某公司工会", WORKPLACE, child, by=None)
    worker_admin = create_user("organizer", org=grandchild, username="gc_org")
    admin_b = create_user("admin", org=b, username="admin_b")
    admin_a = create_user("admin", org=a, username="admin_a")
    login(tree["admin"])
    page = client.post(f"/admin/organizations/{child.id}/move", data={"parent_id": b.id})
    assert "确认移动组织？" in page.get_data(as_text=True) and "1 个下级组织" in page.get_data(as_text=True)
    assert _fresh(child).parent_id == a.id  # nothing moved before the confirmation
    client.post(f"/admin/organizations/{child.id}/move", data={"parent_id": b.id, "confirmed": "yes"})

    moved, below = _fresh(child), db.session.get(Organization, grandchild.id)
    assert moved.parent_id == b.id and moved.path == f"{b.path}{child.id}/"
    assert below is not None and below.path == f"{b.path}{child.id}/{grandchild.id}/"
    assert db.session.get(type(worker_admin), worker_admin.id).organization.path == below.path  # type: ignore[union-attr]
    login(admin_b)
    assert client.get(f"/admin/organizations/{grandchild.id}/edit").status_code == 200
    login(admin_a)
    assert client.get(f"/admin/organizations/{grandchild.id}/edit").status_code == 404
    [entry] = _entries("org.move")
    assert entry.changes is not None and entry.changes["parent"] == [a.name, b.name]


def test_move_is_refused_below_itself_and_outside_a_street_admins_subtree(client, login, tree, street_admin):
    with pytest.raises(OperationError, match="它自己或它的下级"):
        ops.move_organization(tree["a"], tree["a_child"], by=tree["admin"])
    with pytest.raises(OperationError) as refused:
        ops.move_organization(tree["a_child"], tree["b"], by=street_admin)
    assert refused.value.code == "forbidden"
    login(street_admin)
    resp = client.post(f"/admin/organizations/{tree['a_child'].id}/move", data={"parent_id": tree["b"].id})
    assert resp.status_code == 400  # street B is not among the offered parents
    assert _fresh(tree["a_child"]).parent_id == tree["a"].id
    assert _entries("org.move") == []


def test_deactivate_is_refused_with_open_events_and_hides_the_unit_from_pickers(
        client, login, tree, create_program, create_event):
    program = create_program(org=tree["a"])
    event = create_event(program, tree["a_child"])  # published, under way
    login(tree["admin"])
    page = client.get(f"/admin/organizations/{tree['a_child'].id}/deactivate").get_data(as_text=True)
    assert "确认停用组织？" in page and "还有 1 场已发布、尚未结束的活动" in page
    resp = client.post(f"/admin/organizations/{tree['a_child'].id}/deactivate")
    assert resp.status_code == 409 and _fresh(tree["a_child"]).is_active
    cancel_event(event, by=None)
    db.session.commit()

    done = client.post(f"/admin/organizations/{tree['a_child'].id}/deactivate", follow_redirects=True)
    assert "已停用“平湖街道白坭坑社区工联会”" in done.get_data(as_text=True)
    assert not _fresh(tree["a_child"]).is_active
    assert len(_entries("org.deactivate")) == 1
    login(tree["org_a"])
    form = client.get("/programs/new").get_data(as_text=True)
    assert "平湖街道总工会" in form and "白坭坑社区工联会" not in form
    login(tree["admin"])
    assert "已停用" in client.get("/admin/organizations").get_data(as_text=True)  # kept, shown as such
    client.post(f"/admin/organizations/{tree['a_child'].id}/reactivate")
    assert _fresh(tree["a_child"]).is_active and len(_entries("org.reactivate")) == 1


def test_deactivate_is_refused_while_children_are_active(tree):
    with pytest.raises(OperationError, match="启用中的下级组织"):
        ops.deactivate_organization(tree["a"], by=tree["admin"])
    with pytest.raises(OperationError, match="区总工会不能停用"):
        ops.deactivate_organization(tree["root"], by=tree["admin"])


@pytest.mark.parametrize("path", ["", "/new", "/{a}/edit", "/{a}/move", "/{a}/deactivate", "/import",
                                  "/template.xlsx", "/export.xlsx"])
def test_non_admins_get_403(client, login, tree, path):
    login(tree["org_a"])
    assert client.get("/admin/organizations" + path.format(a=tree["a_child"].id)).status_code == 403


@pytest.mark.parametrize("path", ["/{b}/edit", "/{b}/move", "/{b}/deactivate"])
def test_a_street_admin_gets_404_for_another_street(client, login, tree, street_admin, path):
    login(street_admin)
    assert client.get("/admin/organizations" + path.format(b=tree["b"].id)).status_code == 404
    resp = client.post(f"/admin/organizations/{tree['b'].id}/reactivate")
    assert resp.status_code == 404


def test_a_street_admin_sees_and_changes_only_its_subtree(client, login, tree, street_admin):
    login(street_admin)
    html = client.get("/admin/organizations").get_data(as_text=True)
    assert "白坭坑社区工联会" in html and "坂田街道总工会" not in html and "深圳市龙岗区总工会" not in html
    with pytest.raises(OperationError):
        ops.create_organization("坂田某工会", WORKPLACE, tree["b"], by=street_admin)
    with pytest.raises(OperationError, match="部室"):
        ops.update_organization(tree["a"], by=street_admin, kind="department")  # would widen its own scope
    with pytest.raises(OperationError, match="不能停用您本人所在的组织"):
        ops.deactivate_organization(tree["a"], by=street_admin)


@pytest.mark.parametrize("action", ["org.create", "org.update", "org.move", "org.deactivate", "org.reactivate"])
def test_each_operation_writes_exactly_one_entry(tree, action):
    admin, child = tree["admin"], tree["a_child"]
    before = db.session.scalar(select(func.count(AuditEntry.id)))
    if action == "org.create":
        ops.create_organization("测试工会", WORKPLACE, child, by=admin)
    elif action == "org.update":
        ops.update_organization(child, by=admin, contact_phone="0755-28881234")
    elif action == "org.move":
        ops.move_organization(child, tree["b"], by=admin)
    else:
        ops.deactivate_organization(child, by=admin)
        if action == "org.reactivate":
            before += 1
            ops.reactivate_organization(child, by=admin)
    db.session.commit()
    entries = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert len(entries) == before + 1
    assert entries[-1].action == action and entries[-1].actor_id == admin.id
    assert entries[-1].object_type == "organization" and entries[-1].changes
