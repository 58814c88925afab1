"""Reading paper sign-in sheets typed into the xlsx template: parse rows, then classify them (pure)."""
from __future__ import annotations

import io
import re
import warnings
import zipfile
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable, Optional, Sequence

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from eventsvc.checkin.operations import GROUPS, validate_person
from eventsvc.core.exceptions import OperationError
from eventsvc.core.timeutil import from_local, to_local

MAX_ROWS = 2000
NEW, DUPLICATE, INVALID = "new", "duplicate", "invalid"
STATUS_LABELS = {NEW: "将导入", DUPLICATE: "重复，跳过", INVALID: "有误，跳过"}

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
_CLOCK = re.compile(r"^(\d{1,2})[:：](\d{2})(?:[:：]\d{2})?$")


class ImportFileError(OperationError):
    """The uploaded file cannot be read as a sign-in sheet."""


@dataclass
class SheetRow:
    """One filled-in line of the sheet, as text (kept between preview and confirm)."""

    line: int
    name: str
    phone: str
    workplace: str
    group: str
    time: str


@dataclass
class ImportRow:
    """A sheet line with its verdict: new (will be added), duplicate or invalid (with the reason)."""

    line: int
    name: str
    phone: str
    workplace: str
    group: str
    time_text: str
    at: Optional[datetime]  # UTC
    status: str
    reason: str = ""

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone typed as a number comes back as 13812345678.0
    return str(value).strip()


def _columns(header: Sequence[Any]) -> dict[str, int]:
    names = [_text(h).replace(" ", "").replace("*", "") for h in header]
    found: dict[str, int] = {}
    for key, aliases in HEADER_ALIASES.items():
        for i, name in enumerate(names):
            if name in aliases:
                found[key] = i
                break
    if "name" not in found or "phone" not in found:
        raise ImportFileError("表格第一行必须有“姓名”和“手机号”两列，请使用下载的模板填写。", code="bad_header")
    return found


def parse_sheet(data: bytes) -> list[SheetRow]:
    """Read the first sheet of an xlsx into rows; raise ImportFileError for anything unreadable."""
    if not data.startswith(b"PK"):
        raise ImportFileError("只支持 .xlsx 格式的 Excel 文件；.xls 或 .csv 请在 Excel 中“另存为 .xlsx”后再上传。",
                              code="not_xlsx")
    try:
        with warnings.catch_warnings():
            # Excel-made files carry extensions openpyxl only warns about; they do not matter here.
            warnings.simplefilter("ignore")
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError, TypeError):
        raise ImportFileError("文件无法读取，请确认是用 Excel 保存的 .xlsx 文件。", code="unreadable") from None
    try:
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise ImportFileError("表格是空的。", code="empty")
        cols = _columns(header)
        result: list[SheetRow] = []
        for line, values in enumerate(rows, start=2):
            cells = {key: _text(values[i]) if i < len(values) else "" for key, i in cols.items()}
            if not any(cells.values()):
                continue
            if len(result) >= MAX_ROWS:
                raise ImportFileError(f"一次最多导入 {MAX_ROWS} 行，请分成几个文件上传。", code="too_many")
            result.append(SheetRow(line, cells.get("name", ""), cells.get("phone", ""), cells.get("workplace", ""),
                                   cells.get("group", ""), cells.get("time", "")))
    finally:
        wb.close()
    if not result:
        raise ImportFileError("表格中没有填写任何签到记录。", code="empty")
    return result


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
        return from_local(datetime.combine(day, time(hour, minute)))  # type: ignore[return-value]
    for pattern in _TIME_FORMATS:
        try:
            local = datetime.strptime(raw, pattern)
        except ValueError:
            continue
        if pattern in ("%Y-%m-%d", "%Y/%m/%d"):
            # A date alone: use the event's start time on that day.
            local = datetime.combine(local.date(), to_local(event_starts_at).time())  # type: ignore[union-attr]
        return from_local(local)  # type: ignore[return-value]
    raise ValueError(raw)


def classify(
    rows: Iterable[SheetRow],
    *,
    existing_phones: set[str],
    starts_at: datetime,
    ends_at: datetime,
) -> list[ImportRow]:
    """Decide for every row: new, duplicate (already checked in, or repeated in the sheet) or invalid."""
    seen: dict[str, int] = {}
    earliest, latest = starts_at - timedelta(days=1), ends_at + timedelta(days=1)
    result: list[ImportRow] = []
    for row in rows:
        item = ImportRow(row.line, row.name.strip(), row.phone.strip(), row.workplace.strip(), row.group.strip(),
                         row.time, None, INVALID)
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
            item.at = parse_time(row.time, starts_at)
        except ValueError:
            item.reason = f"签到时间“{row.time}”无法识别，请写成 2026-07-01 09:30 或 09:30"
            continue
        if not earliest <= item.at <= latest:
            item.reason = "签到时间与活动时间相差超过一天"
            continue
        if item.phone in existing_phones:
            item.status, item.reason = DUPLICATE, "此手机号本场已签到"
        elif item.phone in seen:
            item.status, item.reason = DUPLICATE, f"与第 {seen[item.phone]} 行手机号重复"
        else:
            item.status = NEW
            seen[item.phone] = item.line
    return result


def rows_to_json(rows: Sequence[SheetRow]) -> list[dict[str, Any]]:
    """Serialize parsed rows for the preview store."""
    return [asdict(r) for r in rows]


def rows_from_json(items: Sequence[dict[str, Any]]) -> list[SheetRow]:
    """Rebuild parsed rows from the preview store."""
    return [SheetRow(int(i["line"]), str(i["name"]), str(i["phone"]), str(i["workplace"]), str(i["group"]),
                     str(i["time"])) for i in items]
