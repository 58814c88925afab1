"""Named rate limits answer 429 in Chinese after N hits, with memory storage and with a real Redis.

The Redis variant runs when EVENTSVC_RATELIMIT_STORAGE_URL is set (scripts/with-redis.sh sets it).
"""
from __future__ import annotations

import os
import re

import pytest
from flask import Flask, request
from flask_login import UserMixin, login_user

from eventsvc import create_app
from eventsvc.core.ratelimits import consume, limit_public_checkin, limit_sms_send, login_limit, scanner_limit
from eventsvc.extensions import limiter

REDIS_URL = os.environ.get("EVENTSVC_RATELIMIT_STORAGE_URL", "")
STORAGES = [
    pytest.param("memory://", id="memory"),
    pytest.param(REDIS_URL, id="redis", marks=pytest.mark.skipif(
        not REDIS_URL.startswith("redis://"),
        reason="EVENTSVC_RATELIMIT_STORAGE_URL unset (run under scripts/with-redis.sh)")),
]


# Test-only views, decorated once (the limiter remembers decorated views by name).
@login_limit
def probe_login() -> str:
    return "login ok"


@limit_sms_send(phone_field="phone")
def probe_sms() -> str:
    return "sms ok"


@limit_public_checkin(device_id=lambda: request.cookies.get("probe_device"))
def probe_checkin() -> str:
    return "checkin ok"


@scanner_limit
def probe_scan() -> str:
    return "scan ok"


class ProbeUser(UserMixin):
    def __init__(self, user_id: str) -> None:
        self.id = user_id


def make_app(storage: str, **limits: str) -> Flask:
    app = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URL": storage, **limits,
    })
    limiter.reset()  # counts from earlier tests (kept in Redis) must not leak in
    for rule, view in (("/probe/login", probe_login), ("/probe/sms", probe_sms), ("/api/probe/checkin", probe_checkin),
                       ("/api/probe/scan", probe_scan)):
        app.add_url_rule(rule, view.__name__, view, methods=["GET", "POST"])

    def as_header_user() -> None:  # runs before the limiter so the per-user key sees the user
        if request.headers.get("X-Probe-User"):
            login_user(ProbeUser(request.headers["X-Probe-User"]))

    app.before_request_funcs.setdefault(None, []).insert(0, as_header_user)
    return app


@pytest.mark.parametrize("storage", STORAGES)
def test_login_limit_answers_429_in_chinese(storage: str) -> None:
    app = make_app(storage, RATELIMIT_LOGIN="3/minute")
    assert app.config["RATELIMIT_STORAGE_URI"] == storage
    client = app.test_client()
    for _ in range(3):
        resp = client.post("/probe/login")
        assert resp.status_code == 200 and resp.headers["X-RateLimit-Limit"] == "3"
    resp = client.post("/probe/login")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 429 and "<html" in body.lower()
    assert re.search(r"操作太频繁，请 \d+ (秒|分钟)后再试", body)
    assert 0 < int(resp.headers["Retry-After"]) <= 60
    assert client.get("/probe/login").status_code == 200  # looking at the page is not limited
    if storage.startswith("redis://"):  # the counts really live in Redis (no silent in-memory fallback)
        import redis

        assert any(b"/login/3/1/minute" in key for key in redis.Redis.from_url(storage).keys("*"))
    other = app.test_client()
    assert other.post("/probe/login", environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code == 200


@pytest.mark.parametrize("storage", STORAGES)
def test_sms_limit_per_phone(storage: str) -> None:
    app = make_app(storage, RATELIMIT_SMS_PER_PHONE="1/minute", RATELIMIT_SMS_PER_IP="100/minute")
    client = app.test_client()
    assert client.post("/probe/sms", data={"phone": "138 1234 5678"}).status_code == 200
    again = client.post("/probe/sms", data={"phone": "+8613812345678"}, headers={"Accept": "application/json"})
    assert again.status_code == 429 and again.json is not None
    assert again.json["ok"] is False and "操作太频繁" in again.json["error"] and again.json["retry_after"] > 0
    # From another address the same phone is still limited: the limit belongs to the number.
    assert client.post("/probe/sms", data={"phone": "13812345678"},
                       environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code == 429
    assert client.post("/probe/sms", data={"phone": "13900000001"}).status_code == 200
    # A field that is no phone number is left to the view to reject.
    assert client.post("/probe/sms", data={"phone": "hello"}).status_code == 200


@pytest.mark.parametrize("storage", STORAGES)
def test_sms_limit_per_ip(storage: str) -> None:
    app = make_app(storage, RATELIMIT_SMS_PER_PHONE="100/minute", RATELIMIT_SMS_PER_IP="3/minute")
    client = app.test_client()
    codes = [client.post("/probe/sms", data={"phone": f"1390000000{i}"}).status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.post("/probe/sms", data={"phone": "13900000009"},
                       environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code == 200


@pytest.mark.parametrize("storage", STORAGES)
def test_public_checkin_limits_per_device_not_per_cookieless_phone(storage: str) -> None:
    app = make_app(storage, RATELIMIT_PUBLIC_CHECKIN_PER_DEVICE="2/minute",
                   RATELIMIT_PUBLIC_CHECKIN_PER_IP="100/minute")
    device = app.test_client()
    device.set_cookie("probe_device", "device-A")
    assert [device.post("/api/probe/checkin").status_code for _ in range(3)] == [200, 200, 429]
    # Phones seen for the first time (no cookie) behind the same NAT are not held to one device's budget.
    assert [app.test_client().post("/api/probe/checkin").status_code for _ in range(5)] == [200] * 5
    other = app.test_client()
    other.set_cookie("probe_device", "device-B")
    assert other.post("/api/probe/checkin").status_code == 200


@pytest.mark.parametrize("storage", STORAGES)
def test_public_checkin_limit_per_ip(storage: str) -> None:
    app = make_app(storage, RATELIMIT_PUBLIC_CHECKIN_PER_IP="3/minute")
    assert [app.test_client().post("/api/probe/checkin").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert app.test_client().get("/api/probe/checkin").status_code == 200
    assert app.test_client().post("/api/probe/checkin", environ_base={"REMOTE_ADDR": "10.2.2.2"}).status_code == 200


@pytest.mark.parametrize("storage", STORAGES)
def test_scanner_limit_is_per_user(storage: str) -> None:
    app = make_app(storage, RATELIMIT_SCANNER_PER_USER="2/minute")
    client = app.test_client()
    first = [client.post("/api/probe/scan", headers={"X-Probe-User": "1"}).status_code for _ in range(3)]
    assert first == [200, 200, 429]
    assert client.post("/api/probe/scan", headers={"X-Probe-User": "2"}).status_code == 200


@pytest.mark.parametrize("storage", STORAGES)
def test_consume_counts_outside_views(storage: str) -> None:
    app = make_app(storage, RATELIMIT_SMS_PER_PHONE="2/minute")
    with app.test_request_context("/"):
        assert [consume("RATELIMIT_SMS_PER_PHONE", "sms-phone", "13812345678") for _ in range(3)] == [True, True, False]
        assert consume("RATELIMIT_SMS_PER_PHONE", "sms-phone", "13900000000") is True


def test_limits_are_off_in_tests_unless_asked() -> None:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "RATELIMIT_LOGIN": "1/minute"})
    app.add_url_rule("/probe/login", "probe_login", probe_login, methods=["POST"])
    client = app.test_client()
    assert [client.post("/probe/login").status_code for _ in range(3)] == [200, 200, 200]
