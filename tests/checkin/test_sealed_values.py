"""seal/unseal: the device cookie's and the SMS step's encrypted values (AES-GCM; Fernet ones still open)."""
from __future__ import annotations

import base64
import hashlib
import json
import time

import pytest
from cryptography.fernet import Fernet
from flask import Flask

from eventsvc.checkin import tokens
from eventsvc.checkin.tokens import seal, unseal

VALUE = {"d": "device-1", "p": {"name": "张三", "phone": "13812345678"}, "v": False, "r": [3]}


def test_a_sealed_value_opens_and_shows_nothing_in_clear(app: Flask) -> None:
    with app.app_context():
        sealed = seal(VALUE)
        assert unseal(sealed) == VALUE and unseal(sealed, max_age=60) == VALUE
        assert sealed.startswith("s1.") and "13812345678" not in sealed and "device-1" not in sealed
        assert seal(VALUE) != sealed  # a fresh nonce each time: equal values do not look equal


@pytest.mark.parametrize("damage", ["flip", "cut", "garbage", "empty", "prefix-only", "bad-base64", "huge"])
def test_a_damaged_or_forged_value_opens_to_none(app: Flask, damage: str) -> None:
    with app.app_context():
        sealed = seal(VALUE)
        raw = bytearray(base64.urlsafe_b64decode(sealed[3:]))
        raw[20] ^= 1
        broken = {"flip": "s1." + base64.urlsafe_b64encode(bytes(raw)).decode(), "cut": sealed[:20],
                  "garbage": "s1.not-a-sealed-value", "empty": "", "prefix-only": "s1.",
                  "bad-base64": "s1.@@@", "huge": "s1." + "A" * 9000}[damage]
        assert unseal(broken) is None


def test_another_secret_key_opens_nothing(app: Flask) -> None:
    with app.app_context():
        sealed = seal(VALUE)
        app.config["SECRET_KEY"], kept = "another-secret", app.config["SECRET_KEY"]
        try:
            assert unseal(sealed) is None
        finally:
            app.config["SECRET_KEY"] = kept


def test_age_limits_apply(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    with app.app_context():
        sealed = seal(VALUE)
        now = time.time()
        monkeypatch.setattr(tokens.time, "time", lambda: now + 3600)
        assert unseal(sealed, max_age=3700) == VALUE and unseal(sealed, max_age=3500) is None
        assert unseal(sealed) == VALUE  # no limit asked
        monkeypatch.setattr(tokens.time, "time", lambda: now - 3600)  # issued "in the future": refused
        assert unseal(sealed) is None


def test_values_sealed_with_fernet_before_still_open(app: Flask) -> None:
    """A phone's cookie from before the switch keeps its details (same key derivation as then)."""
    with app.app_context():
        secret = str(app.config["SECRET_KEY"]).encode()
        key = base64.urlsafe_b64encode(hashlib.sha256(
            b"eventsvc.participant-cookie" + b"\0" + secret).digest())
        old = Fernet(key).encrypt(json.dumps(VALUE).encode()).decode()
        assert unseal(old) == VALUE
        assert unseal(old[:-4] + "AAAA") is None
        expired = Fernet(key).encrypt_at_time(json.dumps(VALUE).encode(), int(time.time()) - 7200).decode()
        assert unseal(expired, max_age=3600) is None and unseal(expired) == VALUE
