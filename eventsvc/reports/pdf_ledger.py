"""台账: a program's ledger (targets, progress by organization, every event) and the year overview."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    LongTable,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from eventsvc.core.timeutil import fmt_local, utcnow
from eventsvc.progress.queries import Totals
from eventsvc.reports.fonts import FontInfo, pdf_font
from eventsvc.reports.ledger_lines import composition_text, quantity_text, sum_quantities
from eventsvc.reports.pdf_layout import (
    CONTENT_W,
    GRID,
    HEAD_BG,
    Styles,
    build_pdf,
    fit_cell,
    para,
    text,
)
from eventsvc.reports.records import (
    LedgerData,
    LedgerEvent,
    OrgBar,
    TargetLine,
    YearOverview,
)

RED = colors.HexColor("#c8161d")
GREEN = colors.HexColor("#1e7b3a")


def _grid_style(font: str, size: float = 9) -> list:
    return [
        ("FONT", (0, 0), (-1, -1), font, size),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (0, 0), (-1, 0), "CENTER"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]


def _number(n: int | float) -> str:
    return f"{n:,}" if isinstance(n, int) else f"{n:,.2f}"  # two decimals: money (3.20 万元)


def achieved_line(achieved: Totals) -> str:
    """Summarize what was achieved: 场次, 人次, 人 and custom quantities."""
    parts = [f"{_number(achieved.sessions)} 场",
             f"{_number(achieved.attendances)} 人次（扫码签到 {_number(achieved.checkins)} + 现场填报 "
             f"{_number(achieved.onsite)} + 线上 {_number(achieved.online)}）",
             f"{_number(achieved.participants)} 人（实名签到）"]
    parts += [f"{label} {_number(value)}" for label, value in achieved.quantities.items()]
    return "，".join(parts)


def _targets_table(targets: Sequence[TargetLine], styles: Styles, with_scope: bool = True) -> Table:
    head = (["范围"] if with_scope else []) + ["指标", "目标", "已完成", "完成率", "剩余"]
    data: list[list] = [head]
    for t in targets:
        row = [fit_cell(t.scope, 30 * mm, styles.cell)] if with_scope else []
        metric = f"{t.metric}（{t.note}）" if t.note else t.metric
        row += [fit_cell(metric, 32 * mm, styles.cell), f"{_number(t.goal)} {t.unit}",
                f"{_number(t.done)} {t.unit}", f"{t.percent:.1f}%", f"{_number(t.remaining)} {t.unit}"]
        data.append(row)
    widths = ([30 * mm] if with_scope else []) + [32 * mm, 30 * mm, 30 * mm, 22 * mm, 30 * mm]
    table = Table(data, colWidths=widths, repeatRows=1)
    style = _grid_style(styles.font)
    first_num = 2 if with_scope else 1
    style.append(("ALIGN", (first_num, 1), (-1, -1), "RIGHT"))
    for i, t in enumerate(targets, start=1):
        if t.goal and t.done >= t.goal:
            style.append(("TEXTCOLOR", (-2, i), (-2, i), GREEN))
    table.setStyle(TableStyle(style))
    return table


def bar_chart(bars: Sequence[OrgBar], font: str, *, percent: bool, width: float = CONTENT_W) -> Drawing:
    """Draw a horizontal vector bar chart, one bar per organization."""
    bar_h = 6 * mm
    height = max(30 * mm, len(bars) * bar_h + 18 * mm)
    drawing = Drawing(width, height)
    chart: Any = HorizontalBarChart()  # its stubs type positions as int; reportlab takes float points
    chart.x, chart.y = 32 * mm, 10 * mm
    chart.width, chart.height = width - 50 * mm, height - 16 * mm
    values = [max(0.0, float(b.value)) for b in reversed(bars)]  # first bar on top
    chart.data = [values]
    chart.bars[0].fillColor = RED
    chart.bars[0].strokeColor = None
    chart.categoryAxis.categoryNames = [b.label[:10] for b in reversed(bars)]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 8.5
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -3
    top = max(values, default=0.0)
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max(100.0, top * 1.1) if percent else max(1.0, top * 1.15)
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 8
    if percent:
        chart.valueAxis.labelTextFormat = "%d%%"
    chart.barLabelFormat = (lambda v: f"{v:.1f}%") if percent else (lambda v: f"{v:,.0f}")  # one decimal
    chart.barLabels.fontName = font
    chart.barLabels.fontSize = 7.5
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 2
    drawing.add(chart)
    if percent:
        # A dashed line at 100% shows at a glance who has met the share.
        from reportlab.graphics.shapes import Line

        x = chart.x + chart.width * 100.0 / chart.valueAxis.valueMax
        line = Line(x, chart.y, x, chart.y + chart.height, strokeColor=GREEN, strokeDashArray=[3, 2])
        drawing.add(line)
        drawing.add(String(x + 2, chart.y + chart.height + 2, "100%", fontName=font, fontSize=7, fillColor=GREEN))
    return drawing


# 序号 日期 活动名称 主办单位 地点 级别 状态 | 人次 人次构成 人数 物资/金额 (held) or 取消原因 (cancelled)
_PARTS_JOINER = "\n+ "  # one part per line: a narrow column reads better than a wrapped sum
_WIDTHS = [8 * mm, 18 * mm, 32 * mm, 22 * mm, 18 * mm, 10 * mm, 11 * mm, 12 * mm, 22 * mm, 10 * mm, 17 * mm]


def _events_table(events: Sequence[LedgerEvent], styles: Styles, units: dict[str, str], *,
                  kind: str = "held") -> LongTable:
    """One section of the event list: held (with figures and a total row), planned, or cancelled."""
    head = ["序号", "日期", "活动名称", "主办单位", "地点", "级别", "状态"]
    widths = list(_WIDTHS[:7])
    if kind == "held":
        head += ["人次", "人次构成", "人数", "物资/金额"]
        widths += _WIDTHS[7:]
    elif kind == "cancelled":
        head.append("取消原因")
        widths += [sum(_WIDTHS[7:])]
    else:  # planned: not held yet, so no figures
        widths[2] += sum(_WIDTHS[7:])
    data: list[list] = [head]
    for n, e in enumerate(events, start=1):
        row = [str(n), fmt_local(e.starts_at, "%Y-%m-%d"), fit_cell(e.title, widths[2], styles.cell),
               fit_cell(e.organizer, widths[3], styles.cell), fit_cell(e.venue, widths[4], styles.cell),
               e.level, e.status_label]
        if kind == "held":  # 人次 with its parts (issue 10 §3): 扫码 N + 现场 M + 线上 K
            row += [_number(e.attendances), fit_cell(composition_text([e], _PARTS_JOINER), widths[8], styles.cell),
                    _number(e.participants), fit_cell(quantity_text(e.quantities, units), widths[10], styles.cell)]
        elif kind == "cancelled":
            row.append(fit_cell(e.cancel_reason, widths[7], styles.cell))
        data.append(row)
    if len(data) == 1:
        data.append(["", "", "（无）"] + [""] * (len(head) - 3))
    style = _grid_style(styles.font, 8.5)
    style += [("ALIGN", (0, 1), (0, -1), "CENTER"), ("ALIGN", (1, 1), (1, -1), "CENTER")]
    if kind == "held":
        total = ["合计", "", f"{len(events)} 场", "", "", "", "",
                 _number(sum(e.attendances for e in events)),
                 fit_cell(composition_text(events, _PARTS_JOINER), widths[8], styles.cell),
                 _number(sum(e.participants for e in events)),
                 fit_cell(quantity_text(sum_quantities(events), units), widths[10], styles.cell)]
        data.append(total)
        style += [("ALIGN", (7, 1), (7, -1), "RIGHT"), ("ALIGN", (9, 1), (9, -1), "RIGHT"),
                  ("SPAN", (0, -1), (1, -1)),
                  ("BACKGROUND", (0, -1), (-1, -1), HEAD_BG)]
    table = LongTable(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle(style))
    return table


def build_ledger_pdf(
    ledger: LedgerData, *, printed_at: datetime | None = None, font: FontInfo | None = None,
    appendix: list | None = None,
) -> bytes:
    """Return a program's ledger: targets against actual, progress by organization, its events.

    `appendix`: flowables to print after the ledger (each held event's 简报 page), one document.
    """
    font = font or pdf_font()
    styles = Styles(font)
    printed_at = printed_at or utcnow()
    period = ""
    if ledger.starts_on or ledger.ends_on:
        period = f"{ledger.starts_on or ''} 至 {ledger.ends_on or ''}"
    facts = [
        ["年度", str(ledger.year), "编制单位", para(ledger.compiler or ledger.owner, styles.body)],
        ["工作要点", para(ledger.plan_item or "—", styles.body), "统计范围", para(ledger.scope_label, styles.body)],
        ["牵头部室", para(ledger.lead_departments or "—", styles.body), "实施时间", period or "—"],
    ]
    head = Table(facts, colWidths=[20 * mm, 70 * mm, 20 * mm, 70 * mm])
    head.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), styles.font, 10), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                              ("TEXTCOLOR", (0, 0), (0, -1), "#444444"),
                              ("TEXTCOLOR", (2, 0), (2, -1), "#444444")]))
    story: list = [
        Paragraph(f"{text(ledger.program)}<br/>工作台账", styles.title),
        head,
        Paragraph("一、目标完成情况", styles.heading),
        para(f"实际完成：{achieved_line(ledger.achieved)}（截至 {fmt_local(printed_at, '%Y-%m-%d')}，"
             "只统计已发布且已举办的活动）", styles.body),
    ]
    if ledger.pending:  # held check-ins are not in the figures above until an organizer confirms them
        story.append(para(f"待核实 {_number(ledger.pending)} 人次（一部手机代签过多，待组织者核实后计入）",
                          styles.body))
    story.append(Spacer(1, 2 * mm))
    if ledger.targets:
        story.append(_targets_table(ledger.targets, styles))
    else:
        story.append(para("本项目在统计范围内未设定目标。", styles.body))
    if ledger.bars:
        story.append(KeepTogether([
            Paragraph(f"二、{text(ledger.bar_title)}", styles.heading),
            bar_chart(ledger.bars, styles.font, percent=ledger.bar_is_percent),
        ]))
    held = ledger.events
    story += [
        Paragraph(f"{'三' if ledger.bars else '二'}、活动明细（已举办 {len(held)} 场，"
                  f"{_number(sum(e.attendances for e in held))} 人次）", styles.heading),
        _events_table(held, styles, ledger.units),
        para("人数为各场实名签到人数之和，同一人参加多场按多场计；上文“人”为去重后的人数。", styles.small),
    ]
    if ledger.planned:
        story += [Paragraph(f"计划中的活动（{len(ledger.planned)} 场，尚未举办，不计入场次和人次）", styles.heading),
                  _events_table(ledger.planned, styles, ledger.units, kind="planned")]
    if ledger.cancelled:
        story += [Paragraph(f"已取消的活动（{len(ledger.cancelled)} 场，不计入场次）", styles.heading),
                  _events_table(ledger.cancelled, styles, ledger.units, kind="cancelled")]
    if ledger.drafts:
        story.append(para(f"另有 {ledger.drafts} 场活动尚未发布（草稿），未列入。", styles.small))
    story += [Spacer(1, 8 * mm),
              para(f"编制单位：{ledger.compiler or ledger.owner}", styles.body),
              Spacer(1, 4 * mm),
              para("制表人：________________　　审核人：________________　　"
                   "日期：______年____月____日　　（盖章）", styles.body)]
    story += appendix or []
    return build_pdf(story, title=f"{ledger.program} 工作台账", font=font, printed_at=printed_at,
                     left_note=f"{ledger.compiler or ledger.owner} · {ledger.year} 年 {ledger.program}")


def build_year_overview_pdf(
    overview: YearOverview, *, printed_at: datetime | None = None, font: FontInfo | None = None
) -> bytes:
    """Return every program's progress of a year on one or two pages."""
    font = font or pdf_font()
    styles = Styles(font)
    printed_at = printed_at or utcnow()
    data: list[list] = [["序号", "项目", "牵头部室", "指标", "目标", "已完成", "完成率", "剩余"]]
    widths = [10 * mm, 44 * mm, 26 * mm, 24 * mm, 20 * mm, 20 * mm, 16 * mm, 20 * mm]
    spans: list[tuple] = []
    met: list[int] = []
    for n, prog in enumerate(overview.programs, start=1):
        first = len(data)
        label = f"{prog.plan_item}. {prog.name}" if prog.plan_item else prog.name
        lines: list[TargetLine | None] = [*prog.targets] or [None]
        for t in lines:
            if t is None:
                row = ["", "", "", "实际", achieved_line(prog.achieved), "", "", ""]
                spans.append(("SPAN", (4, len(data)), (7, len(data))))
            else:
                metric = t.metric if t.scope in ("", "全区") else f"{t.scope}{t.metric}"
                metric = f"{metric}（{t.note}）" if t.note else metric  # 人次 parts, 已审核 / 待审核
                row = ["", "", "", fit_cell(metric, widths[3], styles.cell), f"{_number(t.goal)}",
                       f"{_number(t.done)}", f"{t.percent:.1f}%", f"{_number(t.remaining)}"]
                if t.goal and t.done >= t.goal:
                    met.append(len(data))
            data.append(row)
        data[first][0:3] = [
            str(n), fit_cell(label, widths[1], styles.cell), fit_cell(prog.lead, widths[2], styles.cell),
        ]
        if len(data) - first > 1:
            for col in range(3):
                spans.append(("SPAN", (col, first), (col, len(data) - 1)))
    if len(data) == 1:
        data.append(["", "（本年度没有活动项目）", "", "", "", "", "", ""])
    total = Totals(
        sessions=sum(p.achieved.sessions for p in overview.programs),
        attendances=sum(p.achieved.attendances for p in overview.programs),
    )
    table = LongTable(data, colWidths=widths, repeatRows=1)
    style = _grid_style(styles.font, 8.5) + spans + [("ALIGN", (4, 1), (-1, -1), "RIGHT"),
                                                       ("ALIGN", (0, 1), (0, -1), "CENTER")]
    style += [("TEXTCOLOR", (6, i), (6, i), GREEN) for i in met]
    table.setStyle(TableStyle(style))
    story = [
        Paragraph(f"{overview.year} 年度工作项目进度一览", styles.title),
        para(f"统计范围：{overview.scope_label}　　统计截至：{fmt_local(printed_at)}　　"
             f"项目 {len(overview.programs)} 个，已开展 {_number(total.sessions)} 场、"
             f"{_number(total.attendances)} 人次", styles.body),
        Spacer(1, 3 * mm),
        table,
        Spacer(1, 3 * mm),
        para("说明：场次只统计已发布且已举办的活动，已取消的活动不计入；人次为各场签到人数之和，"
             "同一人在同一场只计一次。", styles.small),
    ]
    return build_pdf(story, title=f"{overview.year} 年度工作项目进度一览", font=font, printed_at=printed_at,
                     left_note=f"{overview.compiler or overview.scope_label} · {overview.year} 年度工作项目进度")
