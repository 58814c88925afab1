"""Alibaba Cloud and Tencent Cloud backends against local fakes that verify signatures and parameters."""
from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from eventsvc.core.sms import build_sender
from eventsvc.core.sms.aliyun import AliyunSender
from eventsvc.core.sms.tencent import TencentSender
from tests.core.fake_sms_providers import FakeAliyun, FakeTencent, free_port

PHONE = "13812345678"
MASKED = "138****5678"
TEMPLATES = json.dumps({"verify_code": "SMS_100", "event_changed": "SMS_200"})


@pytest.fixture
def aliyun() -> Iterator[FakeAliyun]:
    fake = FakeAliyun(keys={"LTAI-test": "right-secret"}, sign_names={"龙岗区总工会"},
                      templates={"SMS_100": {"code"}, "SMS_200": {"event", "time", "place"}})  # type: ignore[dict-item]
    with fake:
        yield fake


@pytest.fixture
def tencent() -> Iterator[FakeTencent]:
    fake = FakeTencent(sdk_app_id="1400123456", keys={"AKID-test": "right-key"}, sign_names={"龙岗区总工会"},
                       templates={"100": 1, "200": 3})
    with fake:
        yield fake


def aliyun_sender(url: str, secret: str = "right-secret", timeout: float = 2.0) -> AliyunSender:
    sender = build_sender({
        "SMS_BACKEND": "aliyun", "SMS_ALIYUN_ACCESS_KEY_ID": "LTAI-test", "SMS_ALIYUN_ACCESS_KEY_SECRET": secret,
        "SMS_SIGN_NAME": "龙岗区总工会", "SMS_TEMPLATES": TEMPLATES, "SMS_ALIYUN_ENDPOINT": url,
        "SMS_TIMEOUT_SECONDS": timeout,
    })
    assert isinstance(sender, AliyunSender)
    return sender


def tencent_sender(url: str, secret: str = "right-key", timeout: float = 2.0) -> TencentSender:
    sender = build_sender({
        "SMS_BACKEND": "tencent", "SMS_TENCENT_SECRET_ID": "AKID-test", "SMS_TENCENT_SECRET_KEY": secret,
        "SMS_TENCENT_SDK_APP_ID": "1400123456", "SMS_SIGN_NAME": "龙岗区总工会",
        "SMS_TEMPLATES": json.dumps({"verify_code": "100", "event_changed": "200"}), "SMS_TENCENT_ENDPOINT": url,
        "SMS_TIMEOUT_SECONDS": timeout,
    })
    assert isinstance(sender, TencentSender)
    return sender


def _no_full_phone(caplog: pytest.LogCaptureFixture, *texts: Any) -> None:
    assert PHONE not in caplog.text
    for text in texts:
        assert PHONE not in str(text)


# --- Alibaba Cloud ---------------------------------------------------------------------------------

def test_aliyun_sends_signed_request(aliyun: FakeAliyun, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    result = aliyun_sender(aliyun.url).send(PHONE, "verify_code", {"code": "042917"})
    assert result.ok and result.message_id.endswith("^0") and result.error_code == ""
    params = aliyun.received[-1]["params"]
    assert params["PhoneNumbers"] == PHONE and params["SignName"] == "龙岗区总工会"
    assert params["TemplateCode"] == "SMS_100" and json.loads(params["TemplateParam"]) == {"code": "042917"}
    assert aliyun.received[-1]["method"] == "GET"
    assert MASKED in caplog.text
    _no_full_phone(caplog)


def test_aliyun_signs_chinese_spaces_and_reserved_characters(aliyun: FakeAliyun) -> None:
    """Percent-encoding is where hand-written signers break: CJK, spaces, *, ~, + and quotes all sign."""
    params = {"event": "夏送清凉 *特别场* ~A+B", "time": "8月1日 09:30", "place": '暖蜂驿站 "坂田"'}
    result = aliyun_sender(aliyun.url).send(PHONE, "event_changed", params)
    assert result.ok, result
    assert json.loads(aliyun.received[-1]["params"]["TemplateParam"]) == params


def test_aliyun_provider_error_is_a_result(aliyun: FakeAliyun, caplog: pytest.LogCaptureFixture) -> None:
    aliyun.fail_with = ("isv.BUSINESS_LIMIT_CONTROL", f"触发号码天级流控 {PHONE}")
    result = aliyun_sender(aliyun.url).send(PHONE, "verify_code", {"code": "111111"})
    assert not result.ok and result.error_code == "isv.BUSINESS_LIMIT_CONTROL"
    assert MASKED in result.error_message
    _no_full_phone(caplog, result)


def test_aliyun_wrong_secret_is_refused_by_signature(aliyun: FakeAliyun, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    result = aliyun_sender(aliyun.url, secret="wrong-secret").send(PHONE, "verify_code", {"code": "111111"})
    assert not result.ok and result.error_code == "SignatureDoesNotMatch"
    # The real service echoes its string to sign (with the number); it must not reach our logs unmasked.
    _no_full_phone(caplog, result)


def test_aliyun_template_without_code_is_not_sent(aliyun: FakeAliyun) -> None:
    result = aliyun_sender(aliyun.url).send(PHONE, "event_reminder", {"event": "x"})
    assert not result.ok and result.error_code == "template_not_configured" and aliyun.received == []


def test_aliyun_timeout(aliyun: FakeAliyun) -> None:
    aliyun.delay = 3
    result = aliyun_sender(aliyun.url, timeout=0.3).send(PHONE, "verify_code", {"code": "111111"})
    assert not result.ok and result.error_code == "timeout"


def test_aliyun_unreachable() -> None:
    result = aliyun_sender(f"http://127.0.0.1:{free_port()}").send(PHONE, "verify_code", {"code": "111111"})
    assert not result.ok and result.error_code == "network_error"


# --- Tencent Cloud ---------------------------------------------------------------------------------

def test_tencent_sends_signed_request(tencent: FakeTencent, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    result = tencent_sender(tencent.url).send(PHONE, "verify_code", {"code": "042917"})
    assert result.ok and result.message_id.startswith("2645:")
    got = tencent.received[-1]
    body = json.loads(got["body"])
    assert body == {"PhoneNumberSet": [f"+86{PHONE}"], "SmsSdkAppId": "1400123456", "SignName": "龙岗区总工会",
                    "TemplateId": "100", "TemplateParamSet": ["042917"]}
    assert got["headers"]["x-tc-region"] == "ap-guangzhou" and got["headers"]["x-tc-version"] == "2021-01-11"
    assert MASKED in caplog.text
    _no_full_phone(caplog)


def test_tencent_template_parameters_follow_template_order(tencent: FakeTencent) -> None:
    params = {"place": "暖蜂驿站", "event": "夏送清凉 *特别场*", "time": "8月1日 09:30"}
    assert tencent_sender(tencent.url).send(PHONE, "event_changed", params).ok
    sent = json.loads(tencent.received[-1]["body"])["TemplateParamSet"]
    assert sent == ["夏送清凉 *特别场*", "8月1日 09:30", "暖蜂驿站"]


def test_tencent_provider_error_is_a_result(tencent: FakeTencent, caplog: pytest.LogCaptureFixture) -> None:
    tencent.fail_with = ("LimitExceeded.PhoneNumberDailyLimit", "the daily limit of SMS messages is reached")
    result = tencent_sender(tencent.url).send(PHONE, "verify_code", {"code": "111111"})
    assert not result.ok and result.error_code == "LimitExceeded.PhoneNumberDailyLimit"
    _no_full_phone(caplog, result)


def test_tencent_wrong_secret_is_refused_by_signature(tencent: FakeTencent) -> None:
    result = tencent_sender(tencent.url, secret="wrong-key").send(PHONE, "verify_code", {"code": "111111"})
    assert not result.ok and result.error_code == "AuthFailure.SignatureFailure"


def test_tencent_timeout(tencent: FakeTencent) -> None:
    tencent.delay = 3
    result = tencent_sender(tencent.url, timeout=0.3).send(PHONE, "verify_code", {"code": "111111"})
    assert not result.ok and result.error_code == "timeout"


def test_tencent_unreachable() -> None:
    result = tencent_sender(f"http://127.0.0.1:{free_port()}").send(PHONE, "verify_code", {"code": "111111"})
    assert not result.ok and result.error_code == "network_error"
