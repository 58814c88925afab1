"""The audit page's filters, read from a query string: one parser for the page, its export and links."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from eventsvc.core.timeutil import from_local

MAX_TEXT = 60  # longer than any action name or username


@dataclass
class AuditFilters:
    """What the user asked for; `errors` lists the Chinese messages of values that were ignored."""

    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: int | None = None
    org_id: int | None = None
    date_from: str = ""
    date_to: str = ""
    since: datetime | None = None
    until: datetime | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def is_object_history(self) -> bool:
        return bool(self.object_type) and self.object_id is not None

    def as_args(self) -> dict[str, str | int]:
        """The filters as query-string arguments (for the export link and the pager)."""
        args: dict[str, str | int | None] = {
            "actor": self.actor, "action": self.action, "object_type": self.object_type,
            "object_id": self.object_id, "org_id": self.org_id, "date_from": self.date_from, "date_to": self.date_to,
        }
        return {k: v for k, v in args.items() if v is not None and v != ""}


def _int(args: Mapping[str, str], key: str, label: str, errors: list[str]) -> int | None:
    raw = (args.get(key) or "").strip()
    if not raw:
        return None
    if not raw.isdecimal() or len(raw) > 9:
        errors.append(f"{label}应为数字，已忽略")
        return None
    return int(raw)


def _day(args: Mapping[str, str], key: str, label: str, errors: list[str]) -> tuple[str, datetime | None]:
    raw = (args.get(key) or "").strip()
    if not raw:
        return "", None
    try:
        day = datetime.strptime(raw, "%Y-%m-%d")
    except ValueError:
        errors.append(f"{label}格式应为 年-月-日（如 2026-03-01），已忽略")
        return "", None
    if not 2000 <= day.year <= 2100:
        errors.append(f"{label}超出范围，已忽略")
        return "", None
    return raw, day


def parse_filters(args: Mapping[str, str]) -> AuditFilters:
    """Read the filters; bad values are dropped with a message instead of failing the page."""
    errors: list[str] = []
    f = AuditFilters(errors=errors)
    f.actor = (args.get("actor") or "").strip()[:MAX_TEXT]
    f.action = (args.get("action") or "").strip()[:MAX_TEXT]
    f.object_type = (args.get("object_type") or "").strip()[:40]
    f.object_id = _int(args, "object_id", "对象编号", errors)
    f.org_id = _int(args, "org_id", "单位", errors)
    f.date_from, start = _day(args, "date_from", "开始日期", errors)
    f.date_to, end = _day(args, "date_to", "结束日期", errors)
    # Days are China days: from 00:00 of the first to 24:00 of the last, in UTC.
    f.since = from_local(datetime.combine(start.date(), time())) if start else None
    f.until = from_local(datetime.combine(end.date(), time()) + timedelta(days=1)) if end else None
    if f.since and f.until and f.until <= f.since:
        errors.append("结束日期早于开始日期，已忽略日期范围")
        f.since = f.until = None
        f.date_from = f.date_to = ""
    return f
