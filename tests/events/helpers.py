"""Shared pieces of the event and staff-page tests."""
from __future__ import annotations

from typing import Any


def local_input(dt: Any) -> str:
    """Format a China-time datetime the way a datetime-local input submits it."""
    return dt.strftime("%Y-%m-%dT%H:%M")
