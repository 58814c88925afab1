"""Numbers as plans write them: 50, 2.5 万, 2-3, 百, 一万, 六十, 两."""
from __future__ import annotations

import re

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_SMALL = {"十": 10, "百": 100, "千": 1000}
CN_CHARS = "零〇一二两三四五六七八九十百千万"

ARABIC = r"\d+(?:\.\d+)?"
# One number token: a range (2-3), an Arabic number, or a Chinese numeral; 万 may follow Arabic digits.
NUMBER_RE = re.compile(
    rf"(?P<lo>{ARABIC})\s*(?:[-－—–~～至到]\s*(?P<hi>{ARABIC}))?\s*(?P<wan>万|亿)?"
    rf"|(?P<cn>[{CN_CHARS}]+)"
)


def chinese_to_int(text: str) -> int | None:
    """Convert 一 / 两 / 十 / 六十 / 百 / 一百二十 / 三千 / 一万 / 2 万-free Chinese numerals; None if malformed."""
    if not text or any(ch not in CN_CHARS for ch in text):
        return None
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in CN_DIGITS:
            if digit is not None:  # 二三: a list of digits, not a numeral
                return None
            digit = CN_DIGITS[ch]
        elif ch in CN_SMALL:
            section += (1 if digit is None else digit) * CN_SMALL[ch]
            digit = None
        else:  # 万
            total += (section + (digit or 0) or 1) * 10000
            section, digit = 0, None
    return total + section + (digit or 0)


def as_number(value: float) -> int | float:
    """Keep whole numbers as int for the JSON (80000, not 80000.0); round decimals to two places."""
    rounded = round(value, 2)
    return int(rounded) if rounded == int(rounded) else rounded
