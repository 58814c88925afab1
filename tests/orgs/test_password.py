"""Changing one's own password."""
from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from eventsvc.extensions import db
from eventsvc.orgs.models import User

LoginFn = Any


def change(client: FlaskClient, old: str, new: str, confirm: str | None = None) -> tuple[int, str]:
    resp = client.post("/account/password", data={
        "old_password": old, "new_password": new, "confirm_password": new if confirm is None else confirm,
    })
    return resp.status_code, resp.get_data(as_text=True)


def password_works(client: FlaskClient, username: str, password: str) -> bool:
    client.post("/logout")
    resp = client.post("/login", data={"username": username, "password": password})
    return resp.status_code == 302


def test_password_page_shows_the_form(login: LoginFn, tree: dict[str, Any]) -> None:
    page = login(tree["org_a"]).get("/account/password").get_data(as_text=True)
    assert 'name="old_password"' in page and 'name="new_password"' in page and 'name="confirm_password"' in page


@pytest.mark.parametrize(("old", "new", "confirm", "message"), [
    ("wrong-password", "new-secret-99", None, "原密码不正确"),
    ("correct-horse-26", "new-secret-99", "new-secret-98", "两次输入的新密码不一致"),
    ("correct-horse-26", "short-pw9", None, "密码至少 10 位"),
    ("correct-horse-26", "ORG_A-2026-x", None, "密码不能与用户名相同或包含用户名"),
    ("correct-horse-26", "Password123", None, "密码过于常见"),
    ("correct-horse-26", "aaaaaaaaaaaa", None, "密码过于常见"),
    ("correct-horse-26", "correct-horse-26", None, "新密码不能与原密码相同"),
    ("", "new-secret-99", None, "请输入原密码"),
])
def test_refused_change_says_why_and_keeps_the_old_password(
    login: LoginFn, tree: dict[str, Any], old: str, new: str, confirm: str | None, message: str
) -> None:
    client = login(tree["org_a"])
    status, page = change(client, old, new, confirm)
    assert status == 200 and message in page
    assert "密码已修改" not in page
    assert new == "correct-horse-26" or not password_works(client, "org_a", new)
    assert password_works(client, "org_a", "correct-horse-26")


def test_change_then_only_the_new_password_works(login: LoginFn, tree: dict[str, Any]) -> None:
    client = login(tree["org_a"])
    resp = client.post("/account/password", data={
        "old_password": "correct-horse-26", "new_password": "new-secret-99", "confirm_password": "new-secret-99",
    }, follow_redirects=True)
    assert resp.status_code == 200 and "密码已修改" in resp.get_data(as_text=True)
    assert not password_works(client, "org_a", "correct-horse-26")
    assert password_works(client, "org_a", "new-secret-99")
    # Nobody else's password changed.
    assert password_works(client, "org_b", "correct-horse-26")
    stored = db.session.get(User, tree["org_a"].id)
    assert stored is not None and "new-secret-99" not in stored.password_hash


def test_anonymous_cannot_change_a_password(client: FlaskClient, tree: dict[str, Any]) -> None:
    resp = client.post("/account/password", data={
        "old_password": "correct-horse-26", "new_password": "new-secret-99", "confirm_password": "new-secret-99",
    })
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert password_works(client, "org_a", "correct-horse-26")
