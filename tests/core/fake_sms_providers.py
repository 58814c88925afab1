"""Local stand-ins for Alibaba Cloud SMS and Tencent Cloud SMS that check requests as the real services do.

Each fake recomputes the request signature from what arrived on the wire, written from the providers'
signature documents independently of eventsvc's own signing code, then checks the SendSms parameters.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import socket
import threading
import time
import urllib.parse
import uuid
from abc import ABC, abstractmethod
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAINLAND = re.compile(r"^1[3-9]\d{9}$")


class FakeProvider(ABC):
    """A fake service on 127.0.0.1 (random port) running in a thread; see `received` for what it got."""

    def __init__(self, *, keys: dict[str, str], sign_names: set[str], templates: dict[str, int]) -> None:
        self.keys = keys
        self.sign_names = sign_names
        self.templates = templates  # template id -> number of parameters (Tencent) / names (Aliyun, see subclass)
        self.received: list[dict[str, Any]] = []
        self.fail_with: tuple[str, str] | None = None  # force a provider business error
        self.delay = 0.0
        self._release = threading.Event()
        self._seen_nonces: set[str] = set()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                fake._serve(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                fake._serve(self, "POST")

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        if self.delay:
            self._release.wait(self.delay)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        status, answer = self.handle(method, handler.path, {k.lower(): v for k, v in handler.headers.items()}, body)
        data = json.dumps(answer, ensure_ascii=False).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json;charset=utf-8")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:
            pass  # the client gave up (timeout test)

    @abstractmethod
    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        """Check the request the way the provider does; return the status and JSON answer."""

    def nonce_seen(self, nonce: str) -> bool:
        if nonce in self._seen_nonces:
            return True
        self._seen_nonces.add(nonce)
        return False


class FakeAliyun(FakeProvider):
    """dysmsapi 2017-05-25 SendSms, RPC signature v1 (HMAC-SHA1), GET or POST form."""

    templates: dict[str, set[str]]  # type: ignore[assignment]

    @staticmethod
    def _pe(value: str) -> str:
        # The document's recipe: form-encode, then + -> %20, * -> %2A, %7E -> ~.
        return urllib.parse.quote_plus(value, safe="", encoding="utf-8").replace("+", "%20").replace(
            "*", "%2A").replace("%7E", "~")

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        request_id = str(uuid.uuid4()).upper()
        pairs = urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query, keep_blank_values=True)
        if method == "POST":
            pairs += urllib.parse.parse_qsl(body.decode(), keep_blank_values=True)
        params = dict(pairs)
        self.received.append({"method": method, "params": dict(params), "raw_path": path})

        def error(status: int, code: str, message: str) -> tuple[int, dict[str, Any]]:
            return status, {"RequestId": request_id, "HostId": "dysmsapi.aliyuncs.com", "Code": code,
                            "Message": message}

        given = params.pop("Signature", "")
        for key in ("AccessKeyId", "Action", "Format", "SignatureMethod", "SignatureNonce", "SignatureVersion",
                    "Timestamp", "Version"):
            if not params.get(key):
                return error(400, f"MissingParameter.{key}", f"{key} is mandatory for this action.")
        if params["Version"] != "2017-05-25":
            return error(400, "InvalidVersion", "Specified parameter Version is not valid.")
        if params["Action"] != "SendSms":
            return error(404, "InvalidAction.NotFound", "Specified api is not found.")
        if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
            return error(400, "InvalidSignatureMethod", "Specified signature method is not supported.")
        try:
            stamp = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            return error(400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
        if abs((datetime.now(UTC) - stamp).total_seconds()) > 900:
            return error(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        secret = self.keys.get(params["AccessKeyId"])
        if secret is None:
            return error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        canonical = "&".join(f"{self._pe(k)}={self._pe(v)}" for k, v in sorted(params.items()))
        string_to_sign = f"{method}&{self._pe('/')}&{self._pe(canonical)}"
        expected = base64.b64encode(hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest())
        if not hmac.compare_digest(expected.decode(), given):
            # The real service echoes its string to sign, phone number included.
            return error(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation. "
                         f"server string to sign is:{string_to_sign}")
        if self.nonce_seen(params["SignatureNonce"]):
            return error(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
        phones = params.get("PhoneNumbers", "").split(",")
        if not all(MAINLAND.match(re.sub(r"^(\+86|0086|86|\+)", "", p)) for p in phones):
            return error(200, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        if params.get("SignName") not in self.sign_names:
            return error(200, "isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
        names = self.templates.get(params.get("TemplateCode", ""))
        if names is None:
            return error(200, "isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
        try:
            values = json.loads(params.get("TemplateParam") or "{}")
        except ValueError:
            return error(200, "isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
        if not isinstance(values, dict) or set(values) != names or not all(isinstance(v, str) for v in values.values()):
            return error(200, "isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值")
        if self.fail_with:
            return error(200, *self.fail_with)
        return 200, {"RequestId": request_id, "Code": "OK", "Message": "OK", "BizId": f"{int(time.time())}^0"}


class FakeTencent(FakeProvider):
    """sms 2021-01-11 SendSms with the TC3-HMAC-SHA256 signature."""

    def __init__(self, *, sdk_app_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sdk_app_id = sdk_app_id

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        request_id = str(uuid.uuid4())
        self.received.append({"method": method, "headers": headers, "body": body})

        def error(code: str, message: str) -> tuple[int, dict[str, Any]]:
            return 200, {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}}

        if method != "POST":
            return error("InvalidParameter", "this fake speaks POST only")
        if headers.get("x-tc-action") != "SendSms" or headers.get("x-tc-version") != "2021-01-11":
            return error("InvalidAction", "action or version not found")
        if not headers.get("x-tc-region"):
            return error("MissingParameter", "The request is missing a required parameter `Region`.")
        auth = re.fullmatch(r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/([a-z]+)/tc3_request, "
                            r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})", headers.get("authorization", ""))
        if not auth:
            return error("AuthFailure.InvalidAuthorization", "Authorization header is malformed.")
        secret_id, date, service, signed_headers, given = auth.groups()
        try:
            timestamp = int(headers.get("x-tc-timestamp", ""))
        except ValueError:
            return error("InvalidParameter", "X-TC-Timestamp is not an integer.")
        if abs(time.time() - timestamp) > 300:
            return error("AuthFailure.SignatureExpire", "Signature expired.")
        if service != "sms" or date != datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d"):
            return error("AuthFailure.InvalidAuthorization", "Credential scope does not match.")
        secret = self.keys.get(secret_id)
        if secret is None:
            return error("AuthFailure.SecretIdNotFound", "The SecretId is not found.")
        names = signed_headers.split(";")
        if "content-type" not in names or "host" not in names:
            return error("AuthFailure.InvalidAuthorization", "content-type and host must be signed.")
        canonical_headers = "".join(f"{n}:{headers.get(n, '').strip().lower()}\n" for n in names)
        canonical_request = (f"POST\n/\n\n{canonical_headers}\n{signed_headers}\n"
                             f"{hashlib.sha256(body).hexdigest()}")
        string_to_sign = (f"TC3-HMAC-SHA256\n{timestamp}\n{date}/sms/tc3_request\n"
                          f"{hashlib.sha256(canonical_request.encode()).hexdigest()}")
        key = f"TC3{secret}".encode()
        for part in (date, "sms", "tc3_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, given):
            return error("AuthFailure.SignatureFailure", "The provided credentials could not be validated.")
        try:
            data = json.loads(body)
        except ValueError:
            return error("InvalidParameter", "body is not JSON")
        if data.get("SmsSdkAppId") != self.sdk_app_id:
            return error("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId not exist.")
        if data.get("SignName") not in self.sign_names:
            return error("FailedOperation.SignatureIncorrectOrUnapproved", "signature incorrect or unapproved")
        count = self.templates.get(str(data.get("TemplateId")))
        if count is None:
            return error("FailedOperation.TemplateIncorrectOrUnapproved", "template incorrect or unapproved")
        params = data.get("TemplateParamSet") or []
        if len(params) != count or not all(isinstance(p, str) for p in params):
            return error("InvalidParameterValue.TemplateParameterFormatError", "template parameter format error")
        statuses = []
        for phone in data.get("PhoneNumberSet") or []:
            e164 = isinstance(phone, str) and phone.startswith("+86") and MAINLAND.match(phone[3:])
            code, message = ("Ok", "send success") if e164 else (
                "InvalidParameterValue.IncorrectPhoneNumber", f"{phone} is not an E.164 number")
            if e164 and self.fail_with:
                code, message = self.fail_with
            statuses.append({"SerialNo": f"2645:{uuid.uuid4().int % 10**20}", "PhoneNumber": phone, "Fee": 1,
                             "SessionContext": "", "Code": code, "Message": message, "IsoCode": "CN"})
        return 200, {"Response": {"SendStatusSet": statuses, "RequestId": request_id}}


def free_port() -> int:
    """A loopback port nobody listens on (for the unreachable-endpoint test)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
