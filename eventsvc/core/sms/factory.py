"""Choose the SMS backend from the settings (EVENTSVC_SMS_BACKEND) and keep one per app."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from eventsvc.core.phones import mask_phone
from eventsvc.core.sms.aliyun import AliyunSender
from eventsvc.core.sms.base import (
    TEMPLATE_PARAMS,
    SendResult,
    SmsConfigError,
    SmsSender,
    log,
    require,
    templates_from_config,
)
from eventsvc.core.sms.console import ConsoleSender
from eventsvc.core.sms.tencent import TencentSender

BACKENDS = ("console", "aliyun", "tencent")


class DisabledSender:
    """No SMS provider configured (production without EVENTSVC_SMS_BACKEND): every send fails, loudly."""

    name = "disabled"

    def send(self, phone: str, template: str, params: Mapping[str, str]) -> SendResult:
        """Refuse, and say in the log what to configure."""
        log.error("SMS to %s [%s] not sent: set EVENTSVC_SMS_BACKEND to aliyun or tencent", mask_phone(phone), template)
        return SendResult(False, error_code="sms_not_configured", error_message="SMS backend not configured")


def build_sender(settings: Mapping[str, Any]) -> SmsSender:
    """Build the backend the settings name; raise SmsConfigError when they cannot work."""
    backend = str(settings.get("SMS_BACKEND") or "").strip().lower()
    production = settings.get("ENV_NAME") == "production"
    timeout = float(settings.get("SMS_TIMEOUT_SECONDS") or 5)
    if backend == "":
        if not production:
            return ConsoleSender()
        log.warning("SMS is not configured: phone verification cannot send codes (set EVENTSVC_SMS_BACKEND)")
        return DisabledSender()
    if backend not in BACKENDS:
        raise SmsConfigError(f"EVENTSVC_SMS_BACKEND={backend!r} is not one of {', '.join(BACKENDS)}")
    if backend == "console":
        if production:
            raise SmsConfigError(
                "EVENTSVC_SMS_BACKEND=console only writes codes to the log and must not run in production: "
                "set EVENTSVC_SMS_BACKEND=aliyun or tencent with its keys, sign name and SMS_TEMPLATES"
            )
        return ConsoleSender()
    templates = templates_from_config(settings.get("SMS_TEMPLATES"))
    if "verify_code" not in templates:
        raise SmsConfigError(
            f"EVENTSVC_SMS_TEMPLATES must map at least verify_code to a {backend} template id, "
            f"e.g. {{\"verify_code\": \"SMS_123\"}}; keys: {', '.join(TEMPLATE_PARAMS)}"
        )
    if backend == "aliyun":
        require(settings, "SMS_ALIYUN_ACCESS_KEY_ID", "SMS_ALIYUN_ACCESS_KEY_SECRET", "SMS_SIGN_NAME")
        return AliyunSender(
            access_key_id=settings["SMS_ALIYUN_ACCESS_KEY_ID"],
            access_key_secret=settings["SMS_ALIYUN_ACCESS_KEY_SECRET"],
            sign_name=settings["SMS_SIGN_NAME"], templates=templates,
            endpoint=settings.get("SMS_ALIYUN_ENDPOINT") or "", timeout=timeout,
        )
    require(settings, "SMS_TENCENT_SECRET_ID", "SMS_TENCENT_SECRET_KEY", "SMS_TENCENT_SDK_APP_ID", "SMS_SIGN_NAME")
    return TencentSender(
        secret_id=settings["SMS_TENCENT_SECRET_ID"], secret_key=settings["SMS_TENCENT_SECRET_KEY"],
        sdk_app_id=str(settings["SMS_TENCENT_SDK_APP_ID"]), sign_name=settings["SMS_SIGN_NAME"], templates=templates,
        region=settings.get("SMS_TENCENT_REGION") or "ap-guangzhou",
        endpoint=settings.get("SMS_TENCENT_ENDPOINT") or "", timeout=timeout,
    )


def get_sms_sender(app: Flask) -> SmsSender:
    """Return the app's SMS sender, built once from its config (create_app calls this to fail early)."""
    sender = app.extensions.get("sms")
    if sender is None:
        sender = app.extensions["sms"] = build_sender(app.config)
    return sender
