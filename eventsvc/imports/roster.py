"""Paper sign-in sheets (签到表) typed into the xlsx template: rows become check-ins of method IMPORT."""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from eventsvc.checkin.models import IMPORT
from eventsvc.checkin.operations import GROUPS, check_in, upsert_participant, validate_person
from eventsvc.core.exceptions import OperationError
from eventsvc.core.inputs import FIRST_YEAR, LAST_YEAR
from eventsvc.core.permissions import can_manage_org
from eventsvc.core.timeutil import from_local, to_local, utcnow
from eventsvc.events.models import CANCELLED, Event
from eventsvc.imports import queries
from eventsvc.imports.kinds import ALREADY, DUPLICATE, NEW, ImportKind, Verdict, register
from eventsvc.imports.xlsx import read_rows
from eventsvc.orgs.models import User

MAX_ROWS = 2000
# Header names people actually type, mapped to our fields.
HEADER_ALIASES = {
    "name": ("姓名", "名字"),
    "phone": ("手机号", "手机号码", "手机", "电话", "联系电话"),
    "workplace": ("单位", "工作单位", "所在单位"),
    "group": ("人群类别", "人群", "类别"),
    "time": ("签到时间", "时间"),
}
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
                 "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y.%m.%d %H:%M", "%Y年%m月%d日 %H:%M", "%Y-%m-%d", "%Y/%m/%d")
_DATE_ONLY = ("%Y-%m-%d", "%Y/%m/%d")
_CLOCK = re.compile(r"^(\d{1,2})[:：](\d{2})(?:[:：]\d{2})?$")


@dataclass(kw_only=True)
class RosterRow(Verdict):
    """A sheet line, cleaned when valid, with its verdict."""

    name: str
    phone: str
    workplace: str
    group: str
    time_text: str
    at: datetime | None = None  # UTC


def parse_time(raw: str, event_starts_at: datetime) -> datetime:
    """Turn sheet text (China time) into UTC; empty means the event's start; "09:30" means on its day."""
    raw = (raw or "").strip()
    if not raw:
        return event_starts_at
    clock = _CLOCK.match(raw)
    if clock:
        hour, minute = int(clock.group(1)), int(clock.group(2))
        if hour > 23 or minute > 59:
            raise ValueError(raw)
        day = to_local(event_starts_at).date()  # type: ignore[union-attr]
        return from_local(datetime.combine(day, time(hour, minute)))
    for pattern in _TIME_FORMATS:
        try:
            local = datetime.strptime(raw, pattern)
        except ValueError:
            continue
        if not FIRST_YEAR <= local.year <= LAST_YEAR:
            raise ValueError(raw)  # year 0001 minus 8 hours would overflow
        if pattern in _DATE_ONLY:
            # A date alone: use the event's start time on that day.
            local = datetime.combine(local.date(), to_local(event_starts_at).time())  # type: ignore[union-attr]
        return from_local(local)
    raise ValueError(raw)


def classify_rows(
    rows: Iterable[dict[str, Any]], *, existing_phones: set[str], starts_at: datetime, ends_at: datetime
) -> list[RosterRow]:
    """Judge every row: new, already checked in, repeated in the sheet, or an error (with the reason)."""
    seen: dict[str, int] = {}
    earliest, latest = starts_at - timedelta(days=1), ends_at + timedelta(days=1)
    result: list[RosterRow] = []
    for raw in rows:
        text = {key: str(raw.get(key) or "") for key in HEADER_ALIASES}
        item = RosterRow(line=int(raw["line"]), name=text["name"].strip(), phone=text["phone"].strip(),
                         workplace=text["workplace"].strip(), group=text["group"].strip(), time_text=text["time"])
        result.append(item)
        if item.group and item.group not in GROUPS:
            item.reason = f"人群类别“{item.group}”无效，应为：{'、'.join(GROUPS)}"
            continue
        try:
            person = validate_person(item.name, item.phone, item.workplace, item.group)
        except OperationError as exc:
            item.reason = exc.message
            continue
        item.name, item.phone, item.workplace = person["name"], person["phone"], person["workplace"]
        try:
            item.at = parse_time(item.time_text, starts_at)
        except ValueError:
            item.reason = f"签到时间“{item.time_text}”无法识别，请写成 2026-07-01 09:30 或 09:30"
            continue
        if not earliest <= item.at <= latest:
            item.reason = "签到时间与活动时间相差超过一天"
            continue
        if item.phone in existing_phones:
            item.status, item.reason = ALREADY, "此手机号本场已签到"
        elif item.phone in seen:
            item.status, item.reason = DUPLICATE, f"与第 {seen[item.phone]} 行手机号重复"
        else:
            item.status = NEW
            seen[item.phone] = item.line
    return result


class RosterImport(ImportKind[Event]):
    """Check-ins typed from a paper sign-in sheet into an event that has taken place."""

    name = "checkins"
    label = "纸质签到表"

    def check_allowed(self, target: Event, by: User) -> None:
        if not can_manage_org(by, target.organization):
            raise OperationError("您无权为该活动导入签到", code="forbidden")
        if target.status == CANCELLED:
            raise OperationError("活动已取消，不能导入签到", code="cancelled")
        if target.starts_at > utcnow():
            raise OperationError("活动尚未开始，不能导入纸质签到记录", code="not_started")

    def parse(self, data: bytes) -> list[dict[str, Any]]:
        return read_rows(
            data, HEADER_ALIASES, required=("name", "phone"), max_rows=MAX_ROWS,
            missing_columns="表格第一行必须有“姓名”和“手机号”两列，请使用下载的模板填写。",
            empty="表格中没有填写任何签到记录。",
        )

    def classify(self, target: Event, rows: Sequence[dict[str, Any]]) -> list[Verdict]:
        return list(classify_rows(rows, existing_phones=queries.checked_in_phones(target.id),
                                  starts_at=target.starts_at, ends_at=target.ends_at))

    def apply(self, target: Event, verdicts: Sequence[Verdict], *, by: User) -> int:
        added = 0
        for row in verdicts:
            if row.status != NEW:
                continue
            assert isinstance(row, RosterRow)  # classify() made every verdict
            try:
                participant = upsert_participant(row.name, row.phone, row.workplace, row.group, by=by,
                                                 organization=target.organization)
                result = check_in(target, participant, by=by, method=IMPORT, at=row.at, enforce_window=False,
                                  given={"name": row.name, "workplace": row.workplace})
            except OperationError as exc:
                message = f"第 {row.line} 行：{exc.message.rstrip('。')}。没有导入任何记录。"
                raise OperationError(message, code=exc.code) from exc
            added += int(result.created)
        return added


ROSTER = register(RosterImport())
