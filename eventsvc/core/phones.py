"""Mainland mobile numbers: normalization (the participant identity) and masking."""
from __future__ import annotations

import re

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_SEPARATORS = re.compile(r"[\s\-()（）]")


class InvalidPhone(ValueError):
    """Raised when a string is not a mainland mobile number."""


def normalize_phone(raw: str | None) -> str:
    """Return the 11-digit number, accepting spaces, dashes and a +86/86 prefix."""
    text = _SEPARATORS.sub("", (raw or "").strip())
    text = text.translate(str.maketrans("０１２３４５６７８９＋", "0123456789+"))
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    if not _MOBILE.match(text):
        raise InvalidPhone("请输入正确的 11 位手机号码")
    return text


def mask_phone(phone: str | None) -> str:
    """Mask the middle four digits: 13812345678 -> 138****5678."""
    if not phone:
        return ""
    if len(phone) != 11:
        return phone[:3] + "****" if len(phone) > 3 else "****"
    return f"{phone[:3]}****{phone[7:]}"
