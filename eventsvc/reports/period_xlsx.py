"""月报 / 季报 as a spreadsheet: one sheet per table of the PDF, numbers as numbers."""
from __future__ import annotations

import io

from openpyxl import Workbook

from eventsvc.core.textsafe import neutralize_cell
from eventsvc.reports.period_data import PeriodReport, reported_text, yoy_text
from eventsvc.reports.xlsx_export import _sheet

PROGRAM_COLUMNS = [("序号", 6), ("项目", 30), ("本期场次", 10), ("本期人次", 10), ("本期人数", 10),
                   ("本期物资/金额/填报", 30), ("去年同期场次", 12), ("去年同期人次", 12), ("人次同比", 10),
                   ("年度累计场次", 12), ("年度累计人次", 12), ("目标完成（年度累计）", 40), ("时间进度", 10)]
CHILD_COLUMNS = [("单位", 30), ("本期场次", 10), ("本期人次", 10), ("本期人数", 10), ("去年同期场次", 12),
                 ("去年同期人次", 12), ("人次同比", 10)]


def build_period_xlsx(report: PeriodReport) -> bytes:
    """Return the period report as an xlsx workbook (write-only, like the other exports)."""
    wb = Workbook(write_only=True)
    ws = _sheet(wb, "各项目", PROGRAM_COLUMNS)
    for n, p in enumerate(report.programs, start=1):
        last = p.last_year
        targets = "；".join(f"{t.metric} {t.done}/{t.goal}{t.unit} {t.percent:.1f}%" for t in p.targets)
        ws.append([n, neutralize_cell(f"{p.plan_item}. {p.name}" if p.plan_item else p.name),
                   p.period.sessions, p.period.attendances, p.period.participants,
                   neutralize_cell(reported_text(p.period)),
                   last.sessions if last else None, last.attendances if last else None,
                   yoy_text(p.period.attendances, last.attendances if last else 0),
                   p.cumulative.sessions, p.cumulative.attendances, neutralize_cell(targets),
                   f"{p.time_percent:.1f}%"])
    kids = _sheet(wb, "下级单位", CHILD_COLUMNS)
    for c in [*report.children]:
        kids.append([neutralize_cell(c.name), c.period.sessions, c.period.attendances, c.period.participants,
                     c.last_year.sessions, c.last_year.attendances,
                     yoy_text(c.period.attendances, c.last_year.attendances)])
    t, b = report.total, report.total_last_year
    kids.append([neutralize_cell(f"{report.org.name}（合计）"), t.sessions, t.attendances, t.participants,
                 b.sessions, b.attendances, yoy_text(t.attendances, b.attendances)])
    info = _sheet(wb, "说明", [("项目", 14), ("内容", 60)])
    for row in (("统计单位", report.org.name), ("统计期间", report.period.label),
                ("同比期间", report.period.year_earlier().label), ("编制单位", report.compiler),
                ("口径", "场次只计已发布且已举办的活动；人次=扫码签到+现场填报+线上，待核实的签到不计入；"
                        "去年同期按同名项目比较")):
        info.append([neutralize_cell(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
