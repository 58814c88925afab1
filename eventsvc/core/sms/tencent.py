"""Tencent Cloud SMS (API 2021-01-11, SendSms) with the TC3-HMAC-SHA256 signature ("signature v3").

Signing follows Tencent Cloud's documented routine: a canonical request
(POST, "/", empty query, lower-case signed headers content-type;host;x-tc-action, SHA-256 of the JSON body),
StringToSign = "TC3-HMAC-SHA256\\n" + timestamp + "\\n" + date/sms/tc3_request + "\\n" + SHA-256(canonical request),
the key derived as HMAC("TC3" + SecretKey, date) -> service -> "tc3_request", and the Authorization header
"TC3-HMAC-SHA256 Credential=SecretId/scope, SignedHeaders=..., Signature=hex".
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from eventsvc.core.phones import mask_phone
from eventsvc.core.sms.base import SendResult, Template, http_json, log, scrub

API_VERSION = "2021-01-11"
DEFAULT_ENDPOINT = "sms.tencentcloudapi.com"
SERVICE = "sms"
ALGORITHM = "TC3-HMAC-SHA256"
CONTENT_TYPE = "application/json; charset=utf-8"


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def authorization(*, secret_id: str, secret_key: str, host: str, action: str, payload: str, timestamp: int) -> str:
    """Return the Authorization header value for a POST of `payload` to https://host/."""
    date = time.strftime("%Y-%m-%d", time.gmtime(timestamp))
    signed_headers = "content-type;host;x-tc-action"
    canonical_headers = f"content-type:{CONTENT_TYPE}\nhost:{host}\nx-tc-action:{action.lower()}\n"
    canonical_request = "\n".join([
        "POST", "/", "", canonical_headers, signed_headers, hashlib.sha256(payload.encode("utf-8")).hexdigest(),
    ])
    scope = f"{date}/{SERVICE}/tc3_request"
    string_to_sign = "\n".join([
        ALGORITHM, str(timestamp), scope, hashlib.sha256(canonical_request.encode("utf-8")).hexdigest(),
    ])
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), SERVICE), "tc3_request")
    sig = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{ALGORITHM} Credential={secret_id}/{scope}, SignedHeaders={signed_headers}, Signature={sig}"


class TencentSender:
    """Send through Tencent Cloud SMS; every provider answer becomes a SendResult."""

    name = "tencent"

    def __init__(self, *, secret_id: str, secret_key: str, sdk_app_id: str, sign_name: str,
                 templates: Mapping[str, Template], region: str = "ap-guangzhou",
                 endpoint: str = DEFAULT_ENDPOINT, timeout: float = 5.0) -> None:
        self.secret_id = secret_id
        self._secret_key = secret_key
        self.sdk_app_id = sdk_app_id
        self.sign_name = sign_name
        self.templates = dict(templates)
        self.region = region
        endpoint = endpoint or DEFAULT_ENDPOINT
        self.url = endpoint.rstrip("/") if "://" in endpoint else f"https://{endpoint}"
        self.host = urllib.parse.urlsplit(self.url).netloc
        self.timeout = timeout

    def build_body(self, phone: str, template: Template, params: Mapping[str, str]) -> dict[str, Any]:
        """The SendSms request body: E.164 number, template parameters in the template's order."""
        return {
            "PhoneNumberSet": [f"+86{phone}"],
            "SmsSdkAppId": self.sdk_app_id,
            "SignName": self.sign_name,
            "TemplateId": template.provider_id,
            "TemplateParamSet": [str(params.get(k, "")) for k in template.params],
        }

    def send(self, phone: str, template: str, params: Mapping[str, str]) -> SendResult:
        """Sign and send one SendSms request."""
        found = self.templates.get(template)
        if found is None:
            log.error("SMS template %s has no Tencent Cloud template id (SMS_TEMPLATES)", template)
            return SendResult(False, error_code="template_not_configured", error_message=template)
        payload = json.dumps(self.build_body(phone, found, params), ensure_ascii=False, separators=(",", ":"))
        timestamp = int(time.time())
        headers = {
            "Authorization": authorization(secret_id=self.secret_id, secret_key=self._secret_key, host=self.host,
                                           action="SendSms", payload=payload, timestamp=timestamp),
            "Content-Type": CONTENT_TYPE,
            "Host": self.host,
            "X-TC-Action": "SendSms",
            "X-TC-Version": API_VERSION,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": self.region,
        }
        request = urllib.request.Request(f"{self.url}/", data=payload.encode("utf-8"), headers=headers, method="POST")
        answer = http_json(request, self.timeout)
        result = answer if isinstance(answer, SendResult) else _result(*answer)
        if result.ok:
            log.info("SMS sent via tencent to %s [%s] serial=%s", mask_phone(phone), template, result.message_id)
        else:
            log.warning("SMS via tencent to %s [%s] failed: %s %s", mask_phone(phone), template,
                        result.error_code, result.error_message)
        return result


def _result(status: int, body: Any) -> SendResult:
    response = body.get("Response") if isinstance(body, dict) else None
    if not isinstance(response, dict):
        return SendResult(False, error_code="bad_response", error_message=f"HTTP {status}")
    error = response.get("Error")
    if isinstance(error, dict):  # request-level failure (signature, credentials, parameters)
        return SendResult(False, error_code=str(error.get("Code", "")),
                          error_message=scrub(str(error.get("Message", ""))))
    statuses = response.get("SendStatusSet") or []
    first = statuses[0] if statuses and isinstance(statuses[0], dict) else {}
    if first.get("Code") == "Ok":
        return SendResult(True, message_id=str(first.get("SerialNo", "")))
    # Per-number failures (limits, blocked numbers) come back inside SendStatusSet with HTTP 200.
    return SendResult(False, error_code=str(first.get("Code", "") or "bad_response"),
                      error_message=scrub(str(first.get("Message", ""))))
