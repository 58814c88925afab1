"""`/admin/users`: delegated administration (scope and role matrix), resets, deactivation, search."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from eventsvc.audit.models import AuditEntry
from eventsvc.core.exceptions import OperationError
from eventsvc.extensions import db
from eventsvc.orgs.models import User
from eventsvc.orgs.operations.accounts import assignable_roles, create_user
from tests.factories import TEST_PASSWORD

LoginFn = Callable[..., FlaskClient]


@pytest.fixture
def street_admin(tree: dict[str, Any], create_user: Callable[..., User]) -> User:
    """An administrator of street A (平湖), made by the district."""
    return create_user("admin", org=tree["a"], username="admin_a")


def page(resp: Any) -> str:
    return str(resp.get_data(as_text=True))


def temp_password(html: str) -> str:
    found = re.search(r'<code id="temp-password">([^<]+)</code>', html)
    assert found, html[:500]
    return found.group(1)


def user_named(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def new_account(client: FlaskClient, org_id: int, role: str, username: str = "new_user") -> Any:
    return client.post("/admin/users/new", data={"username": username, "display_name": "新用户",
                                                 "phone": "13812340000", "organization": org_id, "role": role})


# --- who may grant what (the operation's rule) ------------------------------------------------------------------
@pytest.mark.parametrize(("actor", "unit", "expected"), [
    ("admin", "root", ["admin", "organizer", "checker", "viewer"]),
    ("admin", "a", ["admin", "organizer", "checker", "viewer"]),
    ("street_admin", "a", ["organizer", "checker", "viewer"]),        # no second admin of its own street
    ("street_admin", "a_child", ["admin", "organizer", "checker", "viewer"]),  # strictly below: yes
    ("street_admin", "b", []),                                       # outside its subtree
    ("street_admin", "root", []),                                    # never district level
    ("org_a", "a", []),                                              # not an administrator
])
def test_assignable_roles_matrix(tree: dict[str, Any], street_admin: User, actor: str, unit: str,
                                 expected: list[str]) -> None:
    by = street_admin if actor == "street_admin" else tree[actor]
    assert sorted(assignable_roles(by, tree[unit])) == sorted(expected)
    for role in ("admin", "organizer", "checker", "viewer"):
        if role in expected:
            continue
        with pytest.raises(OperationError):
            create_user(f"x_{actor}_{unit}_{role}", TEST_PASSWORD, role, tree[unit], by=by)


# --- what a street administrator sees and can do through the pages ------------------------------------------------
def test_street_admin_sees_only_its_subtree(login: LoginFn, tree: dict[str, Any], street_admin: User) -> None:
    html = page(login(street_admin).get("/admin/users"))
    for visible in ("org_a", "checker_a", "viewer_a", "admin_a"):
        assert f"<td>{visible}</td>" in html
    for hidden in ("org_b", "dviewer", "admin"):
        assert f"<td>{hidden}</td>" not in html


@pytest.mark.parametrize("request_", [
    ("get", "/admin/users/{org_b}/edit"),
    ("post", "/admin/users/{org_b}/deactivate"),
    ("post", "/admin/users/{org_b}/reset-password"),
    ("post", "/admin/users/{admin}/reset-password"),
])
def test_street_admin_cannot_reach_accounts_outside(login: LoginFn, tree: dict[str, Any], street_admin: User,
                                                    request_: tuple[str, str]) -> None:
    method, url = request_
    client = login(street_admin)
    resp = getattr(client, method)(url.format(org_b=tree["org_b"].id, admin=tree["admin"].id))
    assert resp.status_code == 404
    db.session.expire_all()
    assert tree["org_b"].is_active_account and not tree["org_b"].must_change_password


def test_street_admin_cannot_create_outside_or_grant_admin_at_its_level(
    login: LoginFn, tree: dict[str, Any], street_admin: User
) -> None:
    client = login(street_admin)
    assert new_account(client, tree["b"].id, "checker", "in_b").status_code == 404
    assert new_account(client, tree["root"].id, "admin", "district_admin2").status_code == 404
    resp = new_account(client, tree["a"].id, "admin", "second_admin_a")
    assert resp.status_code == 400 and "管理员只能由上级组织的管理员设置" in page(resp)
    assert user_named("in_b") is None and user_named("district_admin2") is None and user_named("second_admin_a") is None
    # Within the subtree: a checker for its own street and an admin for its 工联会.
    assert new_account(client, tree["a"].id, "checker", "checker_new").status_code == 200
    assert new_account(client, tree["a_child"].id, "admin", "child_admin").status_code == 200
    child = user_named("child_admin")
    assert child is not None and child.role == "admin" and child.must_change_password


def test_street_admin_cannot_promote_or_move_out(login: LoginFn, tree: dict[str, Any], street_admin: User) -> None:
    client = login(street_admin)
    org_a = tree["org_a"]
    form = {"username": "org_a", "display_name": "张三", "phone": "", "organization": tree["a"].id, "role": "admin"}
    resp = client.post(f"/admin/users/{org_a.id}/edit", data=form)
    assert resp.status_code == 400 and "管理员只能由上级组织的管理员设置" in page(resp)
    resp = client.post(f"/admin/users/{org_a.id}/edit",
                       data={**form, "role": "organizer", "organization": tree["b"].id})
    assert resp.status_code == 404
    db.session.expire_all()
    assert org_a.role == "organizer" and org_a.organization_id == tree["a"].id


def test_street_admin_cannot_touch_a_peer_admin(login: LoginFn, tree: dict[str, Any], street_admin: User,
                                                create_user: Callable[..., User]) -> None:
    peer = create_user("admin", org=tree["a"], username="admin_a2")
    client = login(street_admin)
    resp = client.post(f"/admin/users/{peer.id}/reset-password", follow_redirects=True)
    assert "您无权重置该账号的密码" in page(resp)
    resp = client.post(f"/admin/users/{peer.id}/deactivate", follow_redirects=True)
    assert "您无权停用该账号" in page(resp)
    db.session.expire_all()
    assert peer.is_active_account and not peer.must_change_password


def test_non_admins_get_no_account_pages(login: LoginFn, tree: dict[str, Any]) -> None:
    assert login(tree["org_a"]).get("/admin/users").status_code == 403


# --- create, edit, reset, deactivate ------------------------------------------------------------------------------
def test_district_admin_creates_a_street_admin_who_must_change_the_password(
    app: Flask, login: LoginFn, tree: dict[str, Any]
) -> None:
    resp = new_account(login(tree["admin"]), tree["a"].id, "admin", "ph_admin")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    password = temp_password(page(resp))
    created = user_named("ph_admin")
    assert created is not None and password not in created.password_hash and created.phone == "13812340000"
    listing = page(login(tree["admin"]).get("/admin/users?q=ph_admin"))
    assert "138****0000" in listing and "13812340000" not in listing
    # The new admin logs in and is held on the password page until it sets its own.
    client = app.test_client()
    resp = client.post("/login", data={"username": "ph_admin", "password": password})
    assert resp.headers["Location"] == "/account/password"
    resp = client.get("/")
    assert resp.status_code == 302 and resp.headers["Location"] == "/account/password"
    assert client.get("/admin/users").status_code == 302
    assert client.get("/c/NOSUCHCODE").status_code == 404  # a worker's page is not an account page: not held
    client.post("/account/password", data={"old_password": password, "new_password": "ph-admin-own-99",
                                           "confirm_password": "ph-admin-own-99"})
    assert client.get("/admin/users").status_code == 200
    audited = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == created.id)).all()
    assert "user.create" in audited and "user.change_password" in audited


def test_reset_forces_a_password_change_and_ends_sessions(app: Flask, login: LoginFn, tree: dict[str, Any]) -> None:
    victim = app.test_client()
    victim.post("/login", data={"username": "org_a", "password": TEST_PASSWORD, "remember": "y"})
    assert victim.get("/account/password").status_code == 200
    resp = login(tree["admin"]).post(f"/admin/users/{tree['org_a'].id}/reset-password")
    assert resp.headers["Cache-Control"] == "no-store" and "只显示这一次" in page(resp)
    password = temp_password(page(resp))
    assert victim.get("/").status_code == 302  # the old session (and its remember cookie) is gone
    fresh = app.test_client()
    assert fresh.post("/login", data={"username": "org_a", "password": TEST_PASSWORD}).status_code == 200
    resp = fresh.post("/login", data={"username": "org_a", "password": password})
    assert resp.headers["Location"] == "/account/password"
    resp = fresh.get("/events", follow_redirects=True)
    assert "请先修改密码" in page(resp)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.reset_password")).one()
    assert entry.actor_id == tree["admin"].id and password not in (entry.summary + str(entry.changes))


def test_deactivation_ends_sessions_and_reactivation_restores_login(app: Flask, login: LoginFn,
                                                                    tree: dict[str, Any]) -> None:
    worker = app.test_client()
    worker.post("/login", data={"username": "checker_a", "password": TEST_PASSWORD})
    assert worker.get("/account/password").status_code == 200
    admin = login(tree["admin"])
    admin.post(f"/admin/users/{tree['checker_a'].id}/deactivate")
    resp = worker.get("/account/password")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert "该账号已停用" in page(worker.post("/login", data={"username": "checker_a", "password": TEST_PASSWORD}))
    admin.post(f"/admin/users/{tree['checker_a'].id}/reactivate")
    assert worker.post("/login", data={"username": "checker_a", "password": TEST_PASSWORD}).status_code == 302
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("user.%"),
                                                                 AuditEntry.object_id == tree["checker_a"].id)).all()
    assert list(actions) == ["user.create", "user.deactivate", "user.reactivate"]  # create: the tree's


def test_nobody_deactivates_or_demotes_themselves(login: LoginFn, tree: dict[str, Any]) -> None:
    client = login(tree["admin"])
    resp = client.post(f"/admin/users/{tree['admin'].id}/deactivate", follow_redirects=True)
    assert "不能停用自己的账号" in page(resp)
    resp = client.post(f"/admin/users/{tree['admin'].id}/edit", data={
        "username": "admin", "display_name": "管理员", "organization": tree["root"].id, "role": "viewer"})
    assert "不能修改自己的角色或所属组织" in page(resp)


def test_edit_records_before_and_after(login: LoginFn, tree: dict[str, Any]) -> None:
    client = login(tree["admin"])
    resp = client.post(f"/admin/users/{tree['org_a'].id}/edit", data={
        "username": "ignored", "display_name": "李四", "phone": "13900001111", "organization": tree["a_child"].id,
        "role": "checker"})
    assert resp.status_code == 302
    db.session.expire_all()
    user = tree["org_a"]
    assert (user.username, user.display_name, user.role, user.organization_id) == (
        "org_a", "李四", "checker", tree["a_child"].id)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.update")).one()
    assert entry.changes is not None and entry.changes["role"] == ["organizer", "checker"]
    assert entry.changes["phone"] == ["", "139****1111"]


def test_search_by_name_and_phone_tail_and_filters(login: LoginFn, tree: dict[str, Any]) -> None:
    tree["checker_a"].display_name, tree["checker_a"].phone = "王五", "13700005678"
    db.session.commit()
    client = login(tree["admin"])
    for query in ("q=王五", "q=5678", "q=checker", "role=checker", f"unit={tree['a'].id}&role=checker"):
        html = page(client.get(f"/admin/users?{query}"))
        assert ">checker_a<" in html and ">org_b<" not in html, query
    assert ">org_b<" in page(client.get(f"/admin/users?unit={tree['b'].id}"))
    assert "没有符合条件的账号" in page(client.get("/admin/users?active=0"))
    assert client.get("/admin/users?unit=abc&page=x&active=zz").status_code == 200
