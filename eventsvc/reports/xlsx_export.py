"""Excel exports (openpyxl, write-only for speed): an event's check-ins, a program's ledger, the import template.

The check-in builders take any iterable of rows and can write straight into a file (`write_*`), so a large
export streams from the query to a temporary file (see reports/streaming.py) without a list in between.
"""
from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from copy import copy
from datetime import datetime
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from eventsvc.core.phones import mask_phone
from eventsvc.core.textsafe import neutralize_cell
from eventsvc.core.timeutil import to_local
from eventsvc.reports.ledger_lines import quantity_text
from eventsvc.reports.records import EventHeader, LedgerData, ProgramCheckIn, RosterRow
from eventsvc.reports.xlsx_rows import PROBE, save_with_rows

DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
HEAD_FONT = Font(bold=True)
HEAD_FILL = PatternFill("solid", fgColor="EEEEEE")

CHECKIN_COLUMNS = [("序号", 6), ("姓名", 12), ("手机号", 14), ("单位", 28), ("人群类别", 12),
                   ("签到时间", 17), ("签到方式", 12), ("签退时间", 17), ("时长（分钟）", 12)]
IMPORT_COLUMNS = [("姓名", 12), ("手机号", 15), ("单位", 30), ("人群类别", 12), ("签到时间", 18)]


def _sheet(wb: Workbook, title: str, columns: Sequence[tuple[str, float]]) -> Worksheet:
    """Create a write-only sheet with column widths, a frozen bold header row."""
    ws: Worksheet = wb.create_sheet(title)
    for i, (_, width) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    header = []
    for name, _ in columns:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = HEAD_FONT
        cell.fill = HEAD_FILL
        header.append(cell)
    ws.append(header)
    return ws


def _cell(ws: Worksheet, value: Any, number_format: str | None = None) -> Any:
    """Return a safe cell value: text neutralized, UTC datetimes as China-time dates."""
    if isinstance(value, datetime):
        cell = WriteOnlyCell(ws, value=to_local(value))
        cell.number_format = number_format or DATETIME_FORMAT
        return cell
    if number_format:
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = number_format
        return cell
    return neutralize_cell(value)


def _row(ws: Worksheet, values: Iterable[Any]) -> None:
    ws.append([_cell(ws, v) for v in values])


class _Stamp:
    """Make date cells for one sheet from a styled prototype (setting number_format per cell costs a lookup)."""

    def __init__(self, ws: Worksheet, number_format: str) -> None:
        self.ws = ws
        proto = WriteOnlyCell(ws, value=None)
        proto.number_format = number_format
        self.style = proto._style  # type: ignore[attr-defined]  # private but stable: copying is 10x faster

    def __call__(self, value: datetime | None) -> Any:
        if value is None:
            return None
        cell = WriteOnlyCell(self.ws, value=to_local(value))
        cell._style = copy(self.style)  # type: ignore[attr-defined]
        return cell


def _save(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _in_time_order(rows: Iterable[RosterRow]) -> Iterable[RosterRow]:
    """Sort a list by check-in time; take any other iterable in the order given (the query sorts)."""
    if isinstance(rows, Sequence):
        return sorted(rows, key=lambda r: r.checked_in_at)
    return rows


def _phone(phone: str, mask: bool) -> str:
    return mask_phone(phone) if mask else phone


def build_event_checkins_xlsx(event: EventHeader, rows: Iterable[RosterRow], *, mask: bool = True) -> bytes:
    """Return an event's check-ins as xlsx, sorted by check-in time."""
    buf = io.BytesIO()
    write_event_checkins_xlsx(buf, event, rows, mask=mask)
    return buf.getvalue()


def write_event_checkins_xlsx(out: IO[bytes], event: EventHeader, rows: Iterable[RosterRow], *,
                              mask: bool = True) -> None:
    """Write an event's check-ins as xlsx into `out`; an iterator is read once, in its own order."""
    wb = Workbook(write_only=True)
    ws = _sheet(wb, "签到明细", CHECKIN_COLUMNS)
    stamp = _Stamp(ws, DATETIME_FORMAT)
    count = 0
    for count, r in enumerate(_in_time_order(rows), start=1):
        ws.append([count, neutralize_cell(r.name), _phone(r.phone, mask), neutralize_cell(r.workplace),
                   neutralize_cell(r.group), stamp(r.checked_in_at), neutralize_cell(r.method_label),
                   stamp(r.checked_out_at), r.duration_minutes])
    info = _sheet(wb, "活动信息", [("项目", 14), ("内容", 60)])
    for label, value in (("活动项目", event.program), ("活动名称", event.title), ("开始时间", event.starts_at),
                         ("结束时间", event.ends_at), ("活动地点", event.venue), ("主办单位", event.organizer),
                         ("签到人数", count)):
        _row(info, [label, value])
    wb.save(out)


def build_ledger_xlsx(ledger: LedgerData, checkins: Iterable[ProgramCheckIn], *, mask: bool = True) -> bytes:
    """Return a program's ledger as xlsx: targets and progress, events, check-ins."""
    buf = io.BytesIO()
    write_ledger_xlsx(buf, ledger, checkins, mask=mask)
    return buf.getvalue()


def write_ledger_xlsx(out: IO[bytes], ledger: LedgerData, checkins: Iterable[ProgramCheckIn], *,
                      mask: bool = True) -> None:
    """Write a program's ledger as xlsx into `out`; the check-ins may be an iterator read once."""
    wb = Workbook(write_only=True)
    ws = _sheet(wb, "目标与进度", [("范围", 18), ("指标", 16), ("单位", 8), ("目标", 10), ("已完成", 10),
                                   ("完成率", 10), ("剩余", 10), ("说明", 40)])
    for t in ledger.targets:  # 说明: 人次 parts, a rate's numbers, 已审核 / 待审核 (issue 10 §3)
        ws.append([neutralize_cell(t.scope), neutralize_cell(t.metric), neutralize_cell(t.unit), t.goal, t.done,
                   _cell(ws, t.percent / 100.0, "0.0%"), t.remaining, neutralize_cell(t.note)])
    ws.append([])
    a = ledger.achieved
    ws.append(["实际完成", "场次", "场", None, a.sessions])
    ws.append(["实际完成", "人次", "人次", None, a.attendances, None, None,
               f"扫码签到 {a.checkins} + 现场填报 {a.onsite} + 线上 {a.online}"])
    ws.append(["实际完成", "人数", "人", None, a.participants, None, None, "仅实名签到"])
    ws.append(["待核实", "人次（未计入）", "人次", None, ledger.pending])
    for label, value in a.quantities.items():
        ws.append(["实际完成", neutralize_cell(label), None, None, value])
    ws.append([])
    ws.append(["项目", neutralize_cell(ledger.program)])
    ws.append(["年度", ledger.year])
    ws.append(["统计范围", neutralize_cell(ledger.scope_label)])

    ev = _sheet(wb, "活动场次", [("序号", 6), ("日期", 12), ("活动名称", 36), ("主办单位", 22), ("地点", 24),
                                 ("级别", 8), ("状态", 8), ("人次", 8), ("取消原因", 20), ("人数", 8),
                                 ("物资/金额", 30), ("其中扫码签到", 12), ("其中现场填报", 12), ("其中线上", 10)])
    # Held events carry figures; planned (计划中) and cancelled ones none, as in the PDF (issue 11).
    for n, e in enumerate(list(ledger.events) + list(ledger.planned) + list(ledger.cancelled), start=1):
        held = e.status_label == "已举办"
        ev.append([n, _cell(ev, e.starts_at, DATE_FORMAT)] + [
            neutralize_cell(v) for v in (e.title, e.organizer, e.venue, e.level, e.status_label)
        ] + [e.attendances if held else None, neutralize_cell(e.cancel_reason), e.participants if held else None,
             neutralize_cell(quantity_text(e.quantities, ledger.units)) if held else None]
            + ([e.checkins, e.onsite, e.online] if held else [None, None, None]))  # the parts of 人次 (issue 10 §3)

    ci = _sheet(wb, "签到明细", [("活动日期", 12), ("活动名称", 32), ("主办单位", 20), ("姓名", 12), ("手机号", 14),
                                 ("单位", 26), ("人群类别", 12), ("签到时间", 17), ("签到方式", 12),
                                 ("签退时间", 17), ("时长（分钟）", 12)])
    day, stamp = _Stamp(ci, DATE_FORMAT), _Stamp(ci, DATETIME_FORMAT)
    # A probe row gives the date columns their styles; the rows themselves are written as XML (xlsx_rows).
    ci.append([day(PROBE), *[None] * 6, stamp(PROBE), None, stamp(PROBE), None])
    save_with_rows(wb, out, "签到明细", (
        (to_local(c.event_starts_at), neutralize_cell(c.event_title), neutralize_cell(c.organizer),
         neutralize_cell(c.person.name), _phone(c.person.phone, mask), neutralize_cell(c.person.workplace),
         neutralize_cell(c.person.group), to_local(c.person.checked_in_at), neutralize_cell(c.person.method_label),
         to_local(c.person.checked_out_at) if c.person.checked_out_at else None, c.person.duration_minutes)
        for c in checkins))


def build_import_template_xlsx(event: EventHeader, groups: Sequence[str]) -> bytes:
    """Return the sheet staff fill in from a paper sign-in sheet, then upload."""
    wb = Workbook()
    ws = wb.worksheets[0]
    ws.title = "签到名单"
    for i, (name, width) in enumerate(IMPORT_COLUMNS, start=1):
        cell = ws.cell(row=1, column=i, value=name)
        cell.font = HEAD_FONT
        cell.fill = HEAD_FILL
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    # Phones as text, so Excel keeps all 11 digits and never shows 1.38E+10.
    for row in range(2, 1002):
        ws.cell(row=row, column=2).number_format = "@"
        ws.cell(row=row, column=5).number_format = DATETIME_FORMAT
    validation = DataValidation(type="list", formula1='"' + ",".join(groups) + '"', allow_blank=True)
    validation.error = "请从下拉列表中选择人群类别"
    validation.add("D2:D1001")
    ws.add_data_validation(validation)

    help_ws = wb.create_sheet("填写说明")
    help_ws.column_dimensions["A"].width = 14
    help_ws.column_dimensions["B"].width = 70
    notes = [
        ("活动名称", event.title),
        ("活动时间", f"{to_local(event.starts_at):%Y-%m-%d %H:%M} 至 {to_local(event.ends_at):%Y-%m-%d %H:%M}"),
        ("活动地点", event.venue),
        ("主办单位", event.organizer),
        ("姓名", "必填，不超过 40 个字"),
        ("手机号", "必填，11 位手机号码；同一手机号在本场只计一次"),
        ("单位", "选填"),
        ("人群类别", "选填，从下拉列表选择：" + "、".join(groups)),
        ("签到时间", "选填，北京时间，如 2026-07-01 09:30 或 09:30；不填按活动开始时间计"),
    ]
    for label, value in notes:
        help_ws.append([label, neutralize_cell(value)])
        help_ws.cell(row=help_ws.max_row, column=2).alignment = Alignment(wrap_text=True)
    return _save(wb)
