"""What every SMS backend shares: the result type, the sender protocol, template keys and HTTP calls."""
from __future__ import annotations

import json
import logging
import re
import socket
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger("eventsvc.sms")

# Template keys the app sends, with the order of their parameters. Alibaba Cloud fills templates by
# name (${code}); Tencent Cloud by position ({1}, {2}), so the order here is the contract with the
# templates registered in the provider's console. A config entry may override it (see templates_from_config).
TEMPLATE_PARAMS: dict[str, tuple[str, ...]] = {
    "verify_code": ("code",),  # 您的验证码为{1}，5分钟内有效，请勿告诉他人。
    "registration_confirmed": ("name", "event", "time"),
    "waitlist_promoted": ("name", "event", "time"),
    "event_changed": ("event", "time", "place"),
    "event_cancelled": ("event", "time"),
    "event_reminder": ("event", "time", "place"),
}


_PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86)?(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def scrub(text: str, limit: int = 300) -> str:
    """Mask phone numbers in provider text: some error messages echo the whole request back."""
    return _PHONE_IN_TEXT.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)[:limit]


class SmsConfigError(RuntimeError):
    """The SMS settings cannot work; raised when the app starts, never while sending."""


@dataclass(frozen=True)
class SendResult:
    """What a send attempt came to; provider failures are values, not exceptions."""

    ok: bool
    message_id: str = ""
    error_code: str = ""
    error_message: str = ""


@dataclass(frozen=True)
class Template:
    """A provider template id and the parameter order it expects."""

    provider_id: str
    params: tuple[str, ...] = field(default_factory=tuple)


class SmsSender(Protocol):
    """Send one templated SMS to one mainland mobile number (11 digits, already normalized)."""

    name: str

    def send(self, phone: str, template: str, params: Mapping[str, str]) -> SendResult: ...


def templates_from_config(raw: str | Mapping[str, Any] | None) -> dict[str, Template]:
    """Parse SMS_TEMPLATES: {"verify_code": "SMS_123"} or {"verify_code": {"id": "1", "params": ["code"]}}."""
    if not raw:
        return {}
    try:
        data = json.loads(raw) if isinstance(raw, str) else dict(raw)
    except ValueError as exc:
        raise SmsConfigError(f"SMS_TEMPLATES is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise SmsConfigError("SMS_TEMPLATES must be a JSON object of template key -> provider template id")
    templates: dict[str, Template] = {}
    for key, value in data.items():
        if key not in TEMPLATE_PARAMS:
            known = ", ".join(TEMPLATE_PARAMS)
            raise SmsConfigError(f"SMS_TEMPLATES names an unknown template {key!r}; known: {known}")
        if isinstance(value, Mapping):
            provider_id, params = str(value.get("id", "")), tuple(value.get("params") or TEMPLATE_PARAMS[key])
        else:
            provider_id, params = str(value), TEMPLATE_PARAMS[key]
        if not provider_id:
            raise SmsConfigError(f"SMS_TEMPLATES[{key!r}] has no template id")
        templates[key] = Template(provider_id, params)
    return templates


def require(settings: Mapping[str, Any], *keys: str) -> None:
    """Fail at start when a provider setting is empty, naming the environment variables to set."""
    missing = [k for k in keys if not settings.get(k)]
    if missing:
        names = ", ".join(f"EVENTSVC_{k}" for k in missing)
        raise SmsConfigError(f"SMS backend {settings.get('SMS_BACKEND')!r} needs {names}")


def http_json(request: urllib.request.Request, timeout: float) -> tuple[int, Any] | SendResult:
    """Send a request and decode the JSON answer; network trouble becomes a failed SendResult."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310 (https/http endpoint from config)
            status, body = resp.status, resp.read()
    except urllib.error.HTTPError as exc:  # providers answer errors with 4xx/5xx and a JSON body
        status, body = exc.code, exc.read()
        exc.close()
    except TimeoutError:
        return SendResult(False, error_code="timeout", error_message=f"no answer within {timeout:g} s")
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (TimeoutError, socket.timeout)):
            return SendResult(False, error_code="timeout", error_message=f"no answer within {timeout:g} s")
        return SendResult(False, error_code="network_error", error_message=str(exc.reason))
    except OSError as exc:
        return SendResult(False, error_code="network_error", error_message=str(exc))
    try:
        return status, json.loads(body.decode("utf-8"))
    except ValueError:
        return SendResult(False, error_code="bad_response", error_message=f"HTTP {status}, not JSON")
