"""Signed codes: dynamic check-in QR codes and the participant-remembering cookie.

A dynamic QR carries the event code signed with the time it was shown; a photo forwarded to a
friend stops working once the code is older than DYNAMIC_QR_VALID_SECONDS.
"""
from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import (
    BadSignature,
    SignatureExpired,
    TimestampSigner,
    URLSafeTimedSerializer,
)

from eventsvc.core.exceptions import OperationError

_DYNAMIC_SALT = "eventsvc.dynamic-qr"
_PERSON_SALT = "eventsvc.participant-cookie"
# The cookie on a worker's phone that remembers their details (signed, see dump_person).
PERSON_COOKIE = "evs_person"


class DynamicCodeRefused(OperationError):
    """The dynamic code is missing, forged, for another event, or too old."""


def _signer() -> TimestampSigner:
    return TimestampSigner(current_app.config["SECRET_KEY"], salt=_DYNAMIC_SALT)


def make_dynamic_code(event_code: str) -> str:
    """Return a fresh signed code for the event's rotating QR (valid from now)."""
    return _signer().sign(event_code.encode()).decode()


def verify_dynamic_code(event_code: str, token: str | None, max_age: int | None = None) -> None:
    """Raise DynamicCodeRefused unless `token` is a genuine, recent code for this event."""
    if not token:
        raise DynamicCodeRefused("本场活动使用现场动态二维码签到，请扫描会场屏幕上的二维码。", code="dynamic_missing")
    age = max_age if max_age is not None else current_app.config.get("DYNAMIC_QR_VALID_SECONDS", 60)
    try:
        value = _signer().unsign(token, max_age=age)
    except SignatureExpired:
        raise DynamicCodeRefused("二维码已过期，请重新扫描会场屏幕上的二维码。", code="dynamic_expired") from None
    except BadSignature:
        raise DynamicCodeRefused("二维码无效，请扫描会场屏幕上的二维码。", code="dynamic_invalid") from None
    if value.decode() != event_code:
        raise DynamicCodeRefused("这不是本场活动的二维码，请扫描会场屏幕上的二维码。", code="dynamic_invalid")


def _person_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_PERSON_SALT)


def dump_person(details: dict[str, Any]) -> str:
    """Sign a worker's details for the cookie that makes the next check-in one tap."""
    keep = {k: details.get(k, "") for k in ("name", "phone", "workplace", "group")}
    return _person_serializer().dumps(keep)


def load_person(value: str | None) -> dict[str, str] | None:
    """Return remembered details from the cookie, or None when absent, forged or too old."""
    if not value:
        return None
    max_age = current_app.config.get("PARTICIPANT_COOKIE_DAYS", 365) * 86400
    try:
        data = _person_serializer().loads(value, max_age=max_age)
    except BadSignature:
        return None
    return data if isinstance(data, dict) and data.get("phone") else None
