"""Logging in: failures tell nothing about which part was wrong, inactive accounts stay out, `next` stays on site."""
from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from eventsvc.extensions import db

BAD_LOGIN = "用户名或密码不正确"


def text_of(resp: TestResponse) -> str:
    return resp.get_data(as_text=True)


def is_logged_in(client: FlaskClient) -> bool:
    """Tell whether the client's session holds a user: a page behind login answers 200 instead of a redirect."""
    with client.session_transaction() as session:
        has_user = "_user_id" in session
    page = client.get("/account/password")
    assert has_user == (page.status_code == 200), page.status_code
    return has_user


@pytest.mark.parametrize(("username", "password"), [
    ("org_a", "wrong-password"),   # a real account, wrong password
    ("nobody_here", "correct-horse-26"),  # no such account
    ("ORG_A", "correct-horse-26"),      # usernames are exact
])
def test_failed_login_says_the_same_and_keeps_no_session(
    client: FlaskClient, tree: dict[str, Any], username: str, password: str
) -> None:
    resp = client.post("/login", data={"username": username, "password": password})
    assert resp.status_code == 200
    assert BAD_LOGIN in text_of(resp)
    assert not is_logged_in(client)


def test_the_right_password_logs_in_and_records_the_time(client: FlaskClient, tree: dict[str, Any]) -> None:
    assert tree["org_a"].last_login_at is None
    resp = client.post("/login", data={"username": "org_a", "password": "correct-horse-26"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/")
    assert is_logged_in(client)
    db.session.expire_all()
    assert tree["org_a"].last_login_at is not None


def test_inactive_account_is_refused(client: FlaskClient, tree: dict[str, Any]) -> None:
    tree["org_a"].is_active_account = False
    db.session.commit()
    resp = client.post("/login", data={"username": "org_a", "password": "correct-horse-26"})
    assert resp.status_code == 200 and "该账号已停用" in text_of(resp)
    assert not is_logged_in(client)
    # A wrong password on an inactive account says nothing about the account.
    resp = client.post("/login", data={"username": "org_a", "password": "wrong-password"})
    assert BAD_LOGIN in text_of(resp) and "停用" not in text_of(resp)


def test_account_deactivated_while_logged_in_is_logged_out(client: FlaskClient, tree: dict[str, Any]) -> None:
    client.post("/login", data={"username": "org_a", "password": "correct-horse-26"})
    tree["org_a"].is_active_account = False
    db.session.commit()
    resp = client.get("/account/password")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_login_page_sends_back_to_the_page_asked_for(client: FlaskClient, tree: dict[str, Any]) -> None:
    resp = client.get("/account/password")
    assert resp.status_code == 302
    login_url = resp.headers["Location"]
    assert "/login?next=" in login_url
    resp = client.post(login_url, data={"username": "org_a", "password": "correct-horse-26"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/account/password"
    assert "修改密码" in text_of(client.get(resp.headers["Location"]))


@pytest.mark.parametrize("target", [
    "https://evil.example/",
    "//evil.example/",
    "http:/evil.example",
    "evil.example",
    "javascript:alert(1)",
])
def test_next_never_leaves_the_site(client: FlaskClient, tree: dict[str, Any], target: str) -> None:
    resp = client.post("/login", query_string={"next": target},
                       data={"username": "org_a", "password": "correct-horse-26"})
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert "evil" not in location and "javascript" not in location
    assert location == "/"


def test_logged_in_user_opening_login_goes_to_the_dashboard(client: FlaskClient, tree: dict[str, Any]) -> None:
    client.post("/login", data={"username": "org_a", "password": "correct-horse-26"})
    resp = client.get("/login")
    assert resp.status_code == 302 and resp.headers["Location"] == "/"


def test_logout_ends_the_session(client: FlaskClient, tree: dict[str, Any]) -> None:
    client.post("/login", data={"username": "org_a", "password": "correct-horse-26"})
    assert is_logged_in(client)
    resp = client.post("/logout")
    assert resp.status_code == 302
    assert not is_logged_in(client)
