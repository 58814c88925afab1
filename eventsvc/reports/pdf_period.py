"""月报 / 季报 PDF (A4 landscape): per program the period, the year so far, targets and 同比; then child units."""
from __future__ import annotations

from datetime import datetime

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import LongTable, Paragraph, Spacer, TableStyle

from eventsvc.core.timeutil import fmt_local, utcnow
from eventsvc.reports.fonts import FontInfo, pdf_font
from eventsvc.reports.pdf_layout import HEAD_BG, MARGIN, Styles, build_pdf, fit_cell, para
from eventsvc.reports.pdf_ledger import _grid_style
from eventsvc.reports.period_data import PeriodReport, reported_text, yoy_text

PAGE = landscape(A4)
WIDE = PAGE[0] - 2 * MARGIN  # 267 mm

# 序号 项目 | 本期 场次 人次 人数 物资/金额/填报 | 去年同期 场次 人次 同比 | 累计 场次 人次 | 目标完成 时间进度
_WIDTHS = [9 * mm, 46 * mm, 13 * mm, 16 * mm, 14 * mm, 40 * mm, 14 * mm, 16 * mm, 15 * mm, 14 * mm, 17 * mm,
           39 * mm, 14 * mm]


def _n(v: int | float) -> str:
    return f"{v:,}"


def _programs_table(report: PeriodReport, styles: Styles) -> LongTable:
    head1 = ["序号", "项目", "本期", "", "", "", "去年同期", "", "", "年度累计", "", "目标完成（年度累计）", "时间进度"]
    head2 = ["", "", "场次", "人次", "人数", "物资/金额/填报", "场次", "人次", "人次同比", "场次", "人次", "", ""]
    data: list[list] = [head1, head2]
    for n, p in enumerate(report.programs, start=1):
        last = p.last_year
        targets = "\n".join(f"{t.metric} {_n(t.done)}/{_n(t.goal)}{t.unit}（{t.percent:.1f}%）" for t in p.targets)
        name = f"{p.plan_item}. {p.name}" if p.plan_item else p.name
        data.append([str(n), fit_cell(name, _WIDTHS[1], styles.cell), _n(p.period.sessions),
                     _n(p.period.attendances), _n(p.period.participants),
                     fit_cell(reported_text(p.period), _WIDTHS[5], styles.cell),
                     _n(last.sessions) if last else "—", _n(last.attendances) if last else "—",
                     yoy_text(p.period.attendances, last.attendances if last else 0),
                     _n(p.cumulative.sessions), _n(p.cumulative.attendances),
                     fit_cell(targets or "—", _WIDTHS[11], styles.cell), f"{p.time_percent:.1f}%"])
    if len(data) == 2:
        data.append(["", "（该年度没有活动项目）"] + [""] * 11)
    style = _grid_style(styles.font, 8.5) + [
        ("BACKGROUND", (0, 0), (-1, 1), HEAD_BG), ("ALIGN", (0, 0), (-1, 1), "CENTER"),
        ("SPAN", (2, 0), (5, 0)), ("SPAN", (6, 0), (8, 0)), ("SPAN", (9, 0), (10, 0)),
        ("SPAN", (0, 0), (0, 1)), ("SPAN", (1, 0), (1, 1)), ("SPAN", (11, 0), (11, 1)), ("SPAN", (12, 0), (12, 1)),
        ("ALIGN", (2, 2), (4, -1), "RIGHT"), ("ALIGN", (6, 2), (10, -1), "RIGHT"),
        ("ALIGN", (12, 2), (12, -1), "RIGHT"),
    ]
    table = LongTable(data, colWidths=_WIDTHS, repeatRows=2)
    table.setStyle(TableStyle(style))
    return table


def _children_table(report: PeriodReport, styles: Styles) -> LongTable:
    widths = [70 * mm, 22 * mm, 25 * mm, 22 * mm, 25 * mm, 25 * mm, 22 * mm]
    data: list[list] = [["单位", "本期场次", "本期人次", "本期人数", "去年同期场次", "去年同期人次", "人次同比"]]
    rows = [(c.name, c.period, c.last_year) for c in report.children]
    rows.append((f"{report.org.name}（合计）", report.total, report.total_last_year))
    for name, now, before in rows:
        data.append([fit_cell(name, widths[0], styles.cell), _n(now.sessions), _n(now.attendances),
                     _n(now.participants), _n(before.sessions), _n(before.attendances),
                     yoy_text(now.attendances, before.attendances)])
    table = LongTable(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle(_grid_style(styles.font, 9) + [("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                                                             ("BACKGROUND", (0, -1), (-1, -1), HEAD_BG)]))
    return table


def build_period_pdf(report: PeriodReport, *, printed_at: datetime | None = None,
                     font: FontInfo | None = None) -> bytes:
    """Return the period report on A4 landscape pages."""
    font = font or pdf_font()
    styles = Styles(font)
    printed_at = printed_at or utcnow()
    title = f"{report.org.name} {report.period.label} 工作情况报表"
    story: list = [
        Paragraph(title, styles.title),
        para(f"统计期间：{report.period.label}　　同比期间：{report.period.year_earlier().label}　　"
             f"编制单位：{report.compiler}　　统计截至：{fmt_local(printed_at)}", styles.body),
        Spacer(1, 3 * mm),
        Paragraph("一、各项目完成情况", styles.heading),
        _programs_table(report, styles),
        Paragraph("二、下级单位情况", styles.heading),
        _children_table(report, styles),
        Spacer(1, 3 * mm),
        para("说明：场次只计已发布且已举办的活动；人次＝扫码签到＋现场填报＋线上，待核实的签到不计入；"
             "年度累计自当年 1 月起至统计期末；去年同期按同名项目比较，“—”表示去年同期无数据。", styles.small),
        Spacer(1, 6 * mm),
        para("制表人：________________　　审核人：________________　　日期：______年____月____日", styles.body),
    ]
    return build_pdf(story, title=title, font=font, printed_at=printed_at, left_note=report.compiler,
                     pagesize=PAGE)
