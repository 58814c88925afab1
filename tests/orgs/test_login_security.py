"""Issue 8 §5: lockouts, one answer for every wrong guess, session versions, remember cookies, the secret key."""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from eventsvc import create_app
from eventsvc.audit.models import AuditEntry
from eventsvc.extensions import db
from eventsvc.orgs.models import LoginThrottle, User
from tests.factories import TEST_PASSWORD

BAD_LOGIN = "用户名或密码不正确"


def post_login(client: FlaskClient, username: str, password: str, remember: bool = False,
               ip: str = "10.0.0.1") -> tuple[int, str]:
    data = {"username": username, "password": password}
    if remember:
        data["remember"] = "y"
    resp = client.post("/login", data=data, environ_base={"REMOTE_ADDR": ip})
    return resp.status_code, resp.get_data(as_text=True)


def logged_in(client: FlaskClient) -> bool:
    return client.get("/account/password").status_code == 200


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_lockout_after_five_failures_says_until_when_and_refuses_the_right_password(
    client: FlaskClient, tree: dict[str, Any]
) -> None:
    for _ in range(4):
        assert BAD_LOGIN in post_login(client, "org_a", "wrong-password")[1]
    status, page = post_login(client, "org_a", "wrong-password")
    assert status == 200 and "登录失败次数过多，该账号已暂时锁定" in page and "分钟后）再试" in page
    status, page = post_login(client, "org_a", TEST_PASSWORD)
    assert "已暂时锁定" in page and not logged_in(client)
    # Another account from the same address is not locked by this one.
    assert post_login(client, "org_b", TEST_PASSWORD)[0] == 302
    assert actions().count("auth.login_failed") == 6 and actions().count("auth.lockout") == 1
    failed = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.login_failed")).first()
    assert failed is not None and "org_a" in failed.summary and "wrong-password" not in str(failed.changes)


def test_lockout_ends_after_its_time(client: FlaskClient, tree: dict[str, Any], app: Flask) -> None:
    app.config["LOGIN_MAX_FAILURES"] = 2
    post_login(client, "org_a", "wrong-password")
    assert "已暂时锁定" in post_login(client, "org_a", "wrong-password")[1]
    locked = [row for row in db.session.scalars(select(LoginThrottle)) if row.locked_until is not None]
    assert len(locked) == 1  # the name's counter; the address has failed only twice
    locked[0].locked_until = locked[0].window_started_at  # as if the lockout had passed
    db.session.commit()
    assert post_login(client, "org_a", TEST_PASSWORD)[0] == 302


def test_unknown_username_gets_the_same_answers_and_locks_the_same(client: FlaskClient, tree: dict[str, Any]) -> None:
    answers = {}
    for name in ("org_a", "nobody_here"):
        pages = [post_login(client, name, "wrong-password")[1] for _ in range(5)]
        answers[name] = [("已暂时锁定" in p, BAD_LOGIN in p) for p in pages]
    assert answers["org_a"] == answers["nobody_here"] == [(False, True)] * 4 + [(True, False)]


def test_one_address_guessing_many_names_is_locked(client: FlaskClient, tree: dict[str, Any], app: Flask) -> None:
    app.config["LOGIN_MAX_FAILURES_PER_IP"] = 3
    for i in range(3):
        page = post_login(client, f"guess{i}", "wrong-password", ip="10.9.9.9")[1]
    assert "该网络的登录失败次数过多" in page
    assert "该网络的登录失败次数过多" in post_login(client, "org_a", TEST_PASSWORD, ip="10.9.9.9")[1]
    assert post_login(client, "org_a", TEST_PASSWORD, ip="10.1.1.1")[0] == 302


def test_success_is_audited_and_clears_the_name_counter(client: FlaskClient, tree: dict[str, Any]) -> None:
    for _ in range(4):
        post_login(client, "org_a", "wrong-password")
    assert post_login(client, "org_a", TEST_PASSWORD)[0] == 302
    client.post("/logout")
    for _ in range(4):  # a fresh budget after the success
        assert BAD_LOGIN in post_login(client, "org_a", "wrong-password")[1]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.login")).one()
    assert entry.actor_id == tree["org_a"].id and entry.object_id == tree["org_a"].id


def remember_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("remember_token")
    assert cookie is not None
    return cookie.value


def test_remember_tokens_differ_per_login_and_logout_revokes_them(app: Flask, tree: dict[str, Any]) -> None:
    first, second = app.test_client(), app.test_client()
    post_login(first, "org_a", TEST_PASSWORD, remember=True)
    post_login(second, "org_a", TEST_PASSWORD, remember=True)
    stolen = remember_cookie(first)
    assert stolen != remember_cookie(second)
    # The cookie alone logs a new browser in...
    thief = app.test_client()
    thief.set_cookie("remember_token", stolen)
    assert logged_in(thief)
    # ...until the user logs out: then it (and the user's other sessions) no longer work.
    first.post("/logout")
    assert first.get_cookie("remember_token") is None
    replay = app.test_client()
    replay.set_cookie("remember_token", stolen)
    assert not logged_in(replay) and not logged_in(second) and not logged_in(thief)


def test_password_change_ends_other_sessions_but_not_this_one(app: Flask, tree: dict[str, Any]) -> None:
    here, elsewhere = app.test_client(), app.test_client()
    post_login(here, "org_a", TEST_PASSWORD, remember=True)
    post_login(elsewhere, "org_a", TEST_PASSWORD, remember=True)
    resp = here.post("/account/password", data={"old_password": TEST_PASSWORD, "new_password": "a-new-secret-77",
                                                "confirm_password": "a-new-secret-77"})
    assert resp.status_code == 302
    assert logged_in(here) and not logged_in(elsewhere)


def test_a_session_from_an_older_version_is_refused(client: FlaskClient, tree: dict[str, Any]) -> None:
    post_login(client, "org_a", TEST_PASSWORD)
    user = db.session.get(User, tree["org_a"].id)
    assert user is not None
    user.session_version += 1
    db.session.commit()
    resp = client.get("/account/password")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


@pytest.mark.parametrize(("env", "key", "refused"), [
    ("production", "short-key", True),
    ("production", "dev-only-insecure-key", True),
    ("staging", "x" * 31, True),          # any name but development gets production's rules
    ("development", "dev-only-insecure-key", True),  # not started by `flask` (gunicorn, a script): refused
    ("development", "k" * 32, False),
    ("production", "k" * 32, False),
])
def test_app_refuses_weak_secret_keys_outside_development(
    monkeypatch: pytest.MonkeyPatch, env: str, key: str, refused: bool
) -> None:
    monkeypatch.setenv("EVENTSVC_ENV", env)
    monkeypatch.setenv("SECRET_KEY", key)
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    monkeypatch.delenv("EVENTSVC_SMS_BACKEND", raising=False)
    if refused:
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app()
    else:
        assert create_app().config["SECRET_KEY"] == key


def test_flask_command_in_development_may_use_the_development_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVENTSVC_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")  # what `flask run` / `make run` sets
    assert create_app().config["SECRET_KEY"] == "dev-only-insecure-key"
