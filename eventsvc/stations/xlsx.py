"""The station's visits spreadsheet: one month's visits, and the year's 人次/人 by month."""
from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

from eventsvc.core.phones import mask_phone
from eventsvc.core.textsafe import neutralize_cell
from eventsvc.core.timeutil import to_local
from eventsvc.stations.models import VISIT_METHOD_LABELS, Station

VISIT_COLUMNS = ["序号", "日期", "时间", "姓名", "手机号", "单位", "人群类别", "使用服务", "登记方式"]


def build_visits_xlsx(station: Station, year: int, month: int, rows: Sequence[Sequence[Any]],
                      months: dict[int, tuple[int, int]], *, mask: bool = True) -> bytes:
    """Return the workbook: sheet 1 the month's visits in time order, sheet 2 the year by month."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(f"{month}月到访")
    ws.append([f"{station.name} {year} 年 {month} 月到访明细"])
    ws.append(VISIT_COLUMNS)
    for i, (day, at, given, name, phone, workplace, group, services, method) in enumerate(rows, start=1):
        local = to_local(at)
        ws.append([i, day, local.strftime("%H:%M") if local else "", neutralize_cell(given or name),
                   mask_phone(phone) if mask else phone, neutralize_cell(workplace), neutralize_cell(group),
                   neutralize_cell((services or "").replace(",", "、")), VISIT_METHOD_LABELS.get(method, method)])
    summary = wb.create_sheet(f"{year}年按月")
    summary.append(["月份", "人次", "人数"])
    for m in range(1, 13):
        visits, people = months.get(m, (0, 0))
        summary.append([f"{m}月", visits, people])
    summary.append(["合计", sum(v for v, _ in months.values()), "—"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
