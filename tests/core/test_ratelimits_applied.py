"""The named limits sit on the real views: login, public check-in/registration, the scanner API (issue 8 §2).

Each test builds an app with limits on (TestConfig has them off) and tiny numbers; storage is memory, or the
real Redis when EVENTSVC_RATELIMIT_STORAGE_URL is set (scripts/with-redis.sh, as `make test` runs it).
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from eventsvc import create_app
from eventsvc.checkin.tokens import PERSON_COOKIE, dump_person
from eventsvc.extensions import limiter
from tests.factories import TEST_PASSWORD

STORAGE = os.environ.get("EVENTSVC_RATELIMIT_STORAGE_URL") or "memory://"
MESSAGE = "操作太频繁"


@pytest.fixture
def limited(app: Flask, database_url: str, tree: dict[str, Any]) -> Iterator[Callable[..., Flask]]:
    """limited(**limits) -> an app on the test database with rate limits on (the limiter is one per process)."""
    was_enabled = limiter.enabled

    def make(**limits: str) -> Flask:
        limited_app = create_app({
            "TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URL": STORAGE, **limits,
        })
        limiter.reset()
        # No app context is pushed: each request gets its own (a shared one would share `g`, and with it
        # Flask-Login's cached user, between requests of different clients).
        return limited_app

    yield make
    limiter.reset()
    limiter.enabled = was_enabled


def _device_cookie(app: Flask) -> str:
    with app.test_request_context():
        return dump_person({"name": "王小明", "phone": "13800138000", "workplace": "", "group": ""},
                           device_id=uuid.uuid4().hex)


def test_login_is_limited_per_ip_with_a_chinese_page(limited) -> None:  # type: ignore[no-untyped-def]
    client = limited(RATELIMIT_LOGIN="3/minute").test_client()
    for n in range(3):
        resp = client.post("/login", data={"username": f"nobody{n}", "password": "wrong-password"})
        assert resp.status_code == 200
    resp = client.post("/login", data={"username": "admin", "password": TEST_PASSWORD})
    assert resp.status_code == 429
    assert "text/html" in resp.content_type and MESSAGE in resp.get_data(as_text=True)
    assert int(resp.headers["Retry-After"]) > 0
    # Looking at the form is not limited; another address has its own budget.
    assert client.get("/login").status_code == 200
    other = client.post("/login", data={"username": "nobody9", "password": "wrong-password"},
                        environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 200 and MESSAGE not in other.get_data(as_text=True)


def test_public_check_in_is_limited_per_device(limited, create_event, tree) -> None:  # type: ignore[no-untyped-def]
    code = create_event(org=tree["a"]).code  # before the limited app: tree rows belong to the session app's session
    app = limited(RATELIMIT_PUBLIC_CHECKIN_PER_DEVICE="2/minute", RATELIMIT_PUBLIC_CHECKIN_PER_IP="100/minute")
    phone_a = app.test_client()
    phone_a.set_cookie(PERSON_COOKIE, _device_cookie(app))
    statuses = [phone_a.post(f"/c/{code}", data={"name": f"职工{n}", "phone": f"1370000{n:04d}",
                                                       "group": "外卖员", "consent": "y"}).status_code
                for n in range(3)]
    assert statuses[:2] != [429, 429] and statuses[2] == 429
    body = phone_a.post(f"/c/{code}", data={"name": "职工9", "phone": "13700009999"}).get_data(as_text=True)
    assert MESSAGE in body
    # Another phone behind the same NAT address is not affected by phone A's budget.
    phone_b = app.test_client()
    phone_b.set_cookie(PERSON_COOKIE, _device_cookie(app))
    assert phone_b.post(f"/c/{code}", data={"name": "李四", "phone": "13600136000"}).status_code != 429
    assert phone_a.get(f"/c/{code}").status_code == 200  # the page itself stays reachable


def test_public_registration_is_limited_per_ip(limited, create_event, tree) -> None:  # type: ignore[no-untyped-def]
    code = create_event(org=tree["a"], starts_in=timedelta(days=1), registration_mode="on").code
    app = limited(RATELIMIT_PUBLIC_CHECKIN_PER_IP="3/minute")
    client = app.test_client()
    for n in range(3):
        resp = client.post(f"/c/{code}/register", data={"name": f"职工{n}", "phone": f"1350000{n:04d}"})
        assert resp.status_code != 429
    resp = client.post(f"/c/{code}/register", data={"name": "职工9", "phone": "13500009999"})
    assert resp.status_code == 429 and MESSAGE in resp.get_data(as_text=True)


def test_scanner_api_is_limited_per_user_with_json(limited, create_event, tree) -> None:  # type: ignore[no-untyped-def]
    event_id = create_event(org=tree["a"]).id
    app = limited(RATELIMIT_SCANNER_PER_USER="2/minute")

    def logged_in(username: str) -> Any:
        client = app.test_client()
        resp = client.post("/login", data={"username": username, "password": TEST_PASSWORD})
        assert resp.status_code == 302, resp.get_data(as_text=True)
        return client

    checker = logged_in("checker_a")
    for _ in range(2):
        assert checker.post(f"/api/events/{event_id}/sync", json={"scans": []}).status_code == 200
    resp = checker.post(f"/api/events/{event_id}/sync", json={"scans": []})
    assert resp.status_code == 429
    data = resp.get_json()
    assert data["ok"] is False and MESSAGE in data["error"] and data["retry_after"] > 0
    # The limit is the user's, not the address's: the organizer on the same network still scans.
    organizer = logged_in("org_a")
    assert organizer.post(f"/api/events/{event_id}/sync", json={"scans": []}).status_code == 200

