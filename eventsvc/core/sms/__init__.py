"""Templated SMS behind one small interface; the backend is chosen by EVENTSVC_SMS_BACKEND.

    sender = get_sms_sender(current_app)
    result = sender.send("13812345678", "verify_code", {"code": "123456"})

Backends: console (development and tests; refused in production), aliyun, tencent.
"""
from eventsvc.core.sms.base import TEMPLATE_PARAMS, SendResult, SmsConfigError, SmsSender
from eventsvc.core.sms.console import ConsoleMessage, ConsoleSender
from eventsvc.core.sms.factory import build_sender, get_sms_sender

__all__ = [
    "TEMPLATE_PARAMS", "ConsoleMessage", "ConsoleSender", "SendResult", "SmsConfigError", "SmsSender",
    "build_sender", "get_sms_sender",
]
