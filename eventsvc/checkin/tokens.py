"""Signed codes: dynamic check-in QR codes; the encrypted device cookie that remembers a worker.

A dynamic QR carries the event code signed with the time it was shown; a photo forwarded to a
friend stops working once the code is older than DYNAMIC_QR_VALID_SECONDS.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import struct
import time
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

from eventsvc.core.exceptions import OperationError

_DYNAMIC_SALT = "eventsvc.dynamic-qr"
_PERSON_SALT = "eventsvc.participant-cookie"
# The cookie on a worker's phone: an opaque device id and the details typed there (encrypted, see dump_person).
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


# Sealed values are AES-256-GCM: "s1." + base64url(nonce(12) | ciphertext of (issued-at, 8 bytes | JSON) | tag).
# One call into OpenSSL each way; Fernet (AES-CBC + HMAC, several Python steps) cost a check-in four times as
# much. Values sealed with Fernet before are still opened, so no phone forgets its details on an upgrade.
_SEALED = "s1."
_ISSUED = struct.Struct(">Q")
_CLOCK_SKEW = 60  # seconds a value's issue time may lie ahead (as Fernet allowed)


def _key(secret: str, purpose: bytes) -> bytes:
    return hashlib.sha256(_PERSON_SALT.encode() + purpose + secret.encode()).digest()


@lru_cache(maxsize=4)  # every worker page opens the device cookie: derive the key once per secret
def _aead_for(secret: str) -> AESGCM:
    return AESGCM(_key(secret, b"\0aead\0"))


@lru_cache(maxsize=4)
def _fernet_for(secret: str) -> Fernet:
    """The cipher of values sealed before AES-GCM (read only)."""
    return Fernet(base64.urlsafe_b64encode(_key(secret, b"\0")))


def _secret() -> str:
    """SECRET_KEY: the keys derive from it, so rotating it forgets every device."""
    return str(current_app.config["SECRET_KEY"])


def seal(data: dict[str, Any]) -> str:
    """Encrypt and authenticate a small JSON value (cookies and session entries that hold a phone)."""
    nonce = os.urandom(12)
    plain = _ISSUED.pack(int(time.time())) + json.dumps(data, separators=(",", ":")).encode()
    return _SEALED + base64.urlsafe_b64encode(nonce + _aead_for(_secret()).encrypt(nonce, plain, None)).decode()


def unseal(value: str | None, max_age: int | None = None) -> dict[str, Any] | None:
    """Return what `seal` wrapped, or None when absent, forged, undecodable or older than max_age seconds."""
    if not value or len(value) > 8192:
        return None
    try:
        if value.startswith(_SEALED):
            raw = base64.urlsafe_b64decode(value[len(_SEALED):])
            plain = _aead_for(_secret()).decrypt(raw[:12], raw[12:], None)
            issued = _ISSUED.unpack_from(plain)[0]
            age = int(time.time()) - issued
            if age < -_CLOCK_SKEW or (max_age is not None and age > max_age):
                return None
            data = json.loads(plain[_ISSUED.size:])
        else:
            data = json.loads(_fernet_for(_secret()).decrypt(value.encode(), ttl=max_age))
    except (InvalidTag, InvalidToken, ValueError, binascii.Error, struct.error):
        return None
    return data if isinstance(data, dict) else None


def new_device_id() -> str:
    """Return a fresh opaque id for a phone that has no device cookie yet."""
    return secrets.token_urlsafe(16)


def _mac(purpose: bytes, message: str) -> str:
    """HMAC-SHA256 under SECRET_KEY, one purpose per use (a value made for one never passes for another)."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, purpose + b"\0" + message.encode(), hashlib.sha256).hexdigest()


def device_hash(device_id: str) -> str:
    """HMAC of the device id: what check-ins and audit entries store (the id itself stays on the phone)."""
    return _mac(b"device", device_id)[:32]


def form_token(device_id: str) -> str:
    """The check-in form's CSRF token, bound to the phone's device cookie instead of a session.

    Only a page served to this phone can hold it: the device id lives in the encrypted, HttpOnly cookie,
    which another site can neither read nor make the phone send with a cross-site POST (SameSite=Lax).
    """
    return _mac(b"form", device_id)[:32]


def form_token_ok(device_id: str, sent: str | None) -> bool:
    """Tell whether `sent` is this phone's check-in form token (constant-time)."""
    return bool(sent) and hmac.compare_digest(form_token(device_id), str(sent))


def answer_mark(check_in_id: int, seq: int) -> str:
    """What the answer URL carries after a new check-in: its ordinal, signed for that check-in.

    The answer page finds the check-in itself (this phone's, by the device cookie); the mark only says it
    was new here and which number it drew, so no session (and no database id in the URL) is needed.
    """
    return f"{seq}.{_mac(b'answer', f'{check_in_id}:{seq}')[:16]}"


def read_answer_mark(check_in_id: int, mark: str | None) -> int | None:
    """The ordinal an answer mark made for this check-in carries, or None (absent, forged, another's)."""
    seq, _, sig = (mark or "").partition(".")
    if not seq.isdigit() or len(seq) > 9:
        return None
    expected = _mac(b"answer", f"{check_in_id}:{int(seq)}")[:16]
    return int(seq) if hmac.compare_digest(expected, sig) else None


def dump_person(details: dict[str, Any], *, device_id: str = "", verified: bool = False,
                tickets: list[int] | None = None) -> str:
    """Encrypt a device cookie remembering a worker's details (the one-tap check-in).

    The cookie never holds the phone in clear: it is encrypted, and it proves nothing about the phone
    unless `verified` (an SMS code was entered on this device) or for the `tickets` it lists.
    """
    keep = {k: str(details.get(k, "") or "") for k in ("name", "phone", "workplace", "group")}
    return seal({"d": device_id or new_device_id(), "p": keep, "v": verified, "r": list(tickets or [])})


def load_device(value: str | None) -> dict[str, Any] | None:
    """Return the device cookie's content ({d, p, v, r}), or None when absent, forged or too old."""
    max_age = int(current_app.config.get("PARTICIPANT_COOKIE_DAYS", 365)) * 86400
    data = unseal(value, max_age=max_age)
    if data is None or not isinstance(data.get("d"), str) or not data["d"]:
        return None
    return data


def load_person(value: str | None) -> dict[str, str] | None:
    """Return the remembered details from the device cookie, or None."""
    data = load_device(value)
    person = data.get("p") if data else None
    return person if isinstance(person, dict) and person.get("phone") else None
