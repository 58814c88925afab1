"""UTC storage, China-time display: every *_at column holds a naive UTC datetime."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import overload

# Shenzhen keeps UTC+8 all year; a fixed offset avoids depending on a tz database.
LOCAL_OFFSET = timedelta(hours=8)


def utcnow() -> datetime:
    """Return the current time as naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_local(dt: datetime | None) -> datetime | None:
    """Convert a naive UTC datetime to naive China time for display and forms."""
    return None if dt is None else dt + LOCAL_OFFSET


@overload
def from_local(dt: datetime) -> datetime: ...


@overload
def from_local(dt: None) -> None: ...


def from_local(dt: datetime | None) -> datetime | None:
    """Convert a naive China-time datetime (from a form or a sheet) to naive UTC."""
    return None if dt is None else dt - LOCAL_OFFSET


def fmt_local(dt: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """Format a UTC datetime in China time; empty string for None."""
    local = to_local(dt)
    return "" if local is None else local.strftime(pattern)


def local_year(now: datetime | None = None) -> int:
    """Return the current year in China time (the plan year changes at local midnight)."""
    return ((now or utcnow()) + LOCAL_OFFSET).year
