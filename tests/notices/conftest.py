"""Fixtures of the notices tests: an event taking registrations, a worker's details, a fake SMS provider."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from eventsvc.core.sms import build_sender
from eventsvc.core.sms.aliyun import AliyunSender
from tests.core.fake_sms_providers import FakeAliyun

PARAMS = {
    "SMS_301": {"name", "event", "time", "link"},
    "SMS_302": {"event", "time", "place", "link", "stop"},
    "SMS_303": {"event", "time", "place", "link"},
}


def person(n: int) -> dict[str, str]:
    return {"name": f"王小明{n}", "phone": f"1370000{n:04d}", "workplace": "顺丰速运", "group": "快递员"}


@pytest.fixture
def reg_event(create_event, create_program, tree) -> Callable[..., Any]:  # type: ignore[no-untyped-def]
    """An event of street A taking registrations, starting in `starts_in` (default 2 days)."""

    def make(starts_in: timedelta = timedelta(days=2), **fields: Any) -> Any:
        fields.setdefault("registration_mode", "on")
        program = create_program(org=tree["a"])
        return create_event(program=program, org=tree["a"], starts_in=starts_in, **fields)

    return make


@pytest.fixture
def aliyun() -> Iterator[FakeAliyun]:
    fake = FakeAliyun(keys={"LTAI-test": "right-secret"}, sign_names={"龙岗区总工会"},
                      templates={"SMS_100": {"code"}, **PARAMS})  # type: ignore[dict-item]
    with fake:
        yield fake


@pytest.fixture
def aliyun_sender(aliyun: FakeAliyun) -> AliyunSender:
    """A real Alibaba Cloud sender pointed at the fake; templates registered with the event's link."""
    sender = build_sender({
        "SMS_BACKEND": "aliyun", "SMS_ALIYUN_ACCESS_KEY_ID": "LTAI-test",
        "SMS_ALIYUN_ACCESS_KEY_SECRET": "right-secret",
        "SMS_SIGN_NAME": "龙岗区总工会", "SMS_ALIYUN_ENDPOINT": aliyun.url, "SMS_TIMEOUT_SECONDS": 2,
        "SMS_TEMPLATES": json.dumps({
            "verify_code": "SMS_100",
            "registration_confirmed": {"id": "SMS_301", "params": ["name", "event", "time", "link"]},
            "waitlist_promoted": {"id": "SMS_301", "params": ["name", "event", "time", "link"]},
            "event_reminder": {"id": "SMS_302", "params": ["event", "time", "place", "link", "stop"]},
            "event_changed": {"id": "SMS_303", "params": ["event", "time", "place", "link"]},
        }),
    })
    assert isinstance(sender, AliyunSender)
    return sender
