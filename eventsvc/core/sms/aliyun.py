"""Alibaba Cloud SMS (dysmsapi 2017-05-25, SendSms) over its RPC-style HTTP API.

Signing follows Alibaba Cloud's documented "RPC signature v1" (SignatureMethod HMAC-SHA1, SignatureVersion 1.0):
parameters (common + operation, without Signature) sorted by name, names and values percent-encoded per
RFC 3986 (unreserved A-Z a-z 0-9 - _ . ~ kept, space as %20, never +), joined as k=v with &; then
StringToSign = METHOD + "&" + percentEncode("/") + "&" + percentEncode(canonicalized query);
Signature = Base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign)). Requests are GET with the
signature added to the query, as in the documentation's examples.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Mapping
from typing import Any

from eventsvc.core.phones import mask_phone
from eventsvc.core.sms.base import SendResult, Template, http_json, log, scrub

API_VERSION = "2017-05-25"
DEFAULT_ENDPOINT = "dysmsapi.aliyuncs.com"


def percent_encode(value: str) -> str:
    """Encode as the signature document requires: RFC 3986, only - _ . ~ and alphanumerics kept."""
    return urllib.parse.quote(value, safe="~")


def canonical_query(params: Mapping[str, str]) -> str:
    """Sort by parameter name and join the encoded pairs."""
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))


def signature(method: str, params: Mapping[str, str], secret: str) -> str:
    """Return the Base64 HMAC-SHA1 signature of the request parameters."""
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def endpoint_url(endpoint: str) -> str:
    """Accept a bare host (HTTPS) or a full URL (tests point at a local http:// fake)."""
    endpoint = endpoint or DEFAULT_ENDPOINT
    return endpoint.rstrip("/") if "://" in endpoint else f"https://{endpoint}"


class AliyunSender:
    """Send through Alibaba Cloud SMS; every provider answer becomes a SendResult."""

    name = "aliyun"

    def __init__(self, *, access_key_id: str, access_key_secret: str, sign_name: str,
                 templates: Mapping[str, Template], endpoint: str = DEFAULT_ENDPOINT, timeout: float = 5.0) -> None:
        self.access_key_id = access_key_id
        self._secret = access_key_secret
        self.sign_name = sign_name
        self.templates = dict(templates)
        self.url = endpoint_url(endpoint)
        self.timeout = timeout

    def build_params(self, phone: str, template: Template, params: Mapping[str, str]) -> dict[str, str]:
        """Common and SendSms parameters, before signing."""
        return {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": "cn-hangzhou",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "Version": API_VERSION,
            # Mainland numbers go without a prefix (the API also accepts +86/86/0086).
            "PhoneNumbers": phone,
            "SignName": self.sign_name,
            "TemplateCode": template.provider_id,
            "TemplateParam": json.dumps({k: str(params[k]) for k in template.params if k in params},
                                        ensure_ascii=False, separators=(",", ":")),
        }

    def send(self, phone: str, template: str, params: Mapping[str, str]) -> SendResult:
        """Sign and send one SendSms request."""
        found = self.templates.get(template)
        if found is None:
            log.error("SMS template %s has no Alibaba Cloud template code (SMS_TEMPLATES)", template)
            return SendResult(False, error_code="template_not_configured", error_message=template)
        query = self.build_params(phone, found, params)
        query_string = f"Signature={percent_encode(signature('GET', query, self._secret))}&{canonical_query(query)}"
        request = urllib.request.Request(f"{self.url}/?{query_string}", method="GET",
                                         headers={"Accept": "application/json"})
        answer = http_json(request, self.timeout)
        result = answer if isinstance(answer, SendResult) else _result(*answer)
        _log_result(result, phone, template)
        return result


def _result(status: int, body: Any) -> SendResult:
    if not isinstance(body, dict):
        return SendResult(False, error_code="bad_response", error_message=f"HTTP {status}")
    code = str(body.get("Code", ""))
    if status == 200 and code == "OK":
        return SendResult(True, message_id=str(body.get("BizId", "")))
    return SendResult(False, error_code=code or f"HTTP {status}", error_message=scrub(str(body.get("Message", ""))))


def _log_result(result: SendResult, phone: str, template: str) -> None:
    if result.ok:
        log.info("SMS sent via aliyun to %s [%s] biz_id=%s", mask_phone(phone), template, result.message_id)
    else:
        log.warning("SMS via aliyun to %s [%s] failed: %s %s", mask_phone(phone), template,
                    result.error_code, result.error_message)
