"""Figures with up to two decimals (3.2 万元, 2.5 人/场), stored exactly as integer hundredths.

An integer column keeps sums exact in SQL on every database (SQLite has no decimal type, and
SQLAlchemy's Numeric warns there). Values come back as int when whole, so counts stay "300", not
"300.00"; fractional values come back as float rounded to two decimals.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Integer
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

Number = int | float
CENTS = Decimal("0.01")


def to_hundredths(value: Any) -> int:
    """Return a number as integer hundredths (half up); raise ValueError on anything else."""
    if isinstance(value, bool):
        raise ValueError("not a number")
    try:
        exact = Decimal(str(value).strip().replace(",", "")).quantize(CENTS, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError) as exc:
        raise ValueError("not a number") from exc
    if not exact.is_finite():
        raise ValueError("not a number")
    return int(exact * 100)


def from_hundredths(raw: int) -> Number:
    """Return stored hundredths as int when whole, else as a two-decimal float."""
    raw = int(raw)
    return raw // 100 if raw % 100 == 0 else round(raw / 100, 2)


def parse_figure(text: str) -> Number | None:
    """Read a typed figure ("3.2", "1,600"); None when it is not a number."""
    try:
        return from_hundredths(to_hundredths(text))
    except ValueError:
        return None


def fmt_figure(value: Any, decimals: int | None = None) -> str:
    """Format a figure: whole numbers plainly, else up to two decimals; `decimals` fixes the count (money)."""
    if value is None:
        return ""
    if decimals is not None:
        return f"{float(value):.{decimals}f}"
    number = from_hundredths(to_hundredths(value))
    return str(number)


class Figure(TypeDecorator[Number]):
    """A number with at most two decimals, kept in an INTEGER column as hundredths."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else to_hundredths(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Number | None:
        return None if value is None else from_hundredths(value)
