"""An event's registration list (报名名单) as xlsx: who signed up, status, when, and whether they came."""
from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from openpyxl import Workbook

from eventsvc.core.phones import mask_phone
from eventsvc.core.textsafe import neutralize_cell
from eventsvc.reports.records import EventHeader
from eventsvc.reports.xlsx_export import DATETIME_FORMAT, _row, _sheet, _Stamp

COLUMNS = [("序号", 6), ("姓名", 12), ("手机号", 14), ("单位", 28), ("人群类别", 12), ("状态", 10),
           ("报名时间", 17), ("签到时间", 17)]


@dataclass(frozen=True)
class RegistrationRow:
    name: str
    phone: str
    workplace: str
    group: str
    status: str  # the label shown on the page: 已报名 / 候补中 / 已取消 / 已签到
    registered_at: datetime
    checked_in_at: datetime | None


def build_registrations_xlsx(event: EventHeader, rows: Iterable[RegistrationRow], *, mask: bool = True) -> bytes:
    """Return the registrations as xlsx in the order given, phones masked unless `mask` is False."""
    wb = Workbook(write_only=True)
    ws = _sheet(wb, "报名名单", COLUMNS)
    stamp = _Stamp(ws, DATETIME_FORMAT)
    count = 0
    for count, r in enumerate(rows, start=1):
        ws.append([count, neutralize_cell(r.name), mask_phone(r.phone) if mask else r.phone,
                   neutralize_cell(r.workplace), neutralize_cell(r.group), r.status,
                   stamp(r.registered_at), stamp(r.checked_in_at)])
    info = _sheet(wb, "活动信息", [("项目", 14), ("内容", 60)])
    for label, value in (("活动项目", event.program), ("活动名称", event.title), ("开始时间", event.starts_at),
                         ("活动地点", event.venue), ("主办单位", event.organizer), ("名单人数", count)):
        _row(info, [label, value])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
