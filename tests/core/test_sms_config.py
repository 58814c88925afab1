"""Choosing the SMS backend: console in development, refused in production, clear errors at start."""
from __future__ import annotations

import logging

import pytest

from eventsvc import create_app
from eventsvc.core.sms import ConsoleSender, SmsConfigError, build_sender, get_sms_sender


def test_console_is_the_development_default_and_masks_phones(caplog: pytest.LogCaptureFixture) -> None:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    sender = get_sms_sender(app)
    assert isinstance(sender, ConsoleSender) and app.extensions["sms"] is sender and get_sms_sender(app) is sender
    caplog.set_level(logging.INFO, logger="eventsvc.sms")
    result = sender.send("13812345678", "verify_code", {"code": "042917"})
    assert result.ok and result.message_id
    assert "138****5678" in caplog.text and "042917" in caplog.text and "13812345678" not in caplog.text
    last = sender.last_for("13812345678", "verify_code")
    assert last is not None and last.params == {"code": "042917"}
    assert sender.last_for("13900000000") is None


def test_console_keeps_only_the_last_messages() -> None:
    sender = ConsoleSender(keep=3)
    for i in range(5):
        sender.send(f"1380000000{i}", "verify_code", {"code": str(i)})
    assert [m.params["code"] for m in sender.messages()] == ["2", "3", "4"]


def test_production_refuses_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTSVC_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("EVENTSVC_SMS_BACKEND", "console")
    with pytest.raises(SmsConfigError, match="must not run in production"):
        create_app()


def test_production_without_backend_starts_but_sends_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTSVC_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.delenv("EVENTSVC_SMS_BACKEND", raising=False)
    result = get_sms_sender(create_app()).send("13812345678", "verify_code", {"code": "1"})
    assert not result.ok and result.error_code == "sms_not_configured"


def test_production_with_aliyun_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTSVC_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    for key, value in {"SMS_BACKEND": "aliyun", "SMS_ALIYUN_ACCESS_KEY_ID": "id", "SMS_ALIYUN_ACCESS_KEY_SECRET": "s",
                       "SMS_SIGN_NAME": "龙岗区总工会", "SMS_TEMPLATES": '{"verify_code": "SMS_1"}'}.items():
        monkeypatch.setenv(f"EVENTSVC_{key}", value)
    sender = get_sms_sender(create_app())
    assert sender.name == "aliyun"


@pytest.mark.parametrize(("settings", "message"), [
    ({"SMS_BACKEND": "carrier-pigeon"}, "not one of"),
    ({"SMS_BACKEND": "aliyun", "SMS_TEMPLATES": '{"verify_code": "SMS_1"}'}, "EVENTSVC_SMS_ALIYUN_ACCESS_KEY_ID"),
    ({"SMS_BACKEND": "tencent", "SMS_TEMPLATES": '{"verify_code": "1"}', "SMS_TENCENT_SECRET_ID": "a",
      "SMS_TENCENT_SECRET_KEY": "b", "SMS_SIGN_NAME": "s"}, "EVENTSVC_SMS_TENCENT_SDK_APP_ID"),
    ({"SMS_BACKEND": "aliyun", "SMS_TEMPLATES": "{not json"}, "not valid JSON"),
    ({"SMS_BACKEND": "aliyun", "SMS_TEMPLATES": '{"verify_cod": "SMS_1"}'}, "unknown template 'verify_cod'"),
    ({"SMS_BACKEND": "tencent", "SMS_TEMPLATES": '{"event_reminder": "9"}'}, "at least verify_code"),
])
def test_misconfiguration_fails_at_start(settings: dict[str, str], message: str) -> None:
    with pytest.raises(SmsConfigError, match=message):
        build_sender(settings)
    with pytest.raises(SmsConfigError, match=message):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", **settings})
