"""签到表: the event roster and the blank paper sign-in sheet (A4, header repeated on every page)."""
from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Optional, Sequence

from reportlab.lib.units import mm
from reportlab.platypus import LongTable, Paragraph, Spacer, Table, TableStyle

from eventsvc.core.phones import mask_phone
from eventsvc.core.timeutil import fmt_local
from eventsvc.reports.fonts import FontInfo, pdf_font
from eventsvc.reports.pdf_layout import (
    GRID,
    HEAD_BG,
    Styles,
    build_pdf,
    fit_cell,
    para,
    text,
    time_range,
)
from eventsvc.reports.records import EventHeader, RosterRow

HEADERS = ["序号", "姓名", "单位", "手机号", "人群类别", "签到时间", "签名"]
WIDTHS = [12 * mm, 24 * mm, 42 * mm, 26 * mm, 20 * mm, 26 * mm, 30 * mm]
# Check-out events stay on A4 portrait (the page footer is drawn for portrait): the other columns give up
# width; each column still fits its header at 10pt, a masked phone, "07-01 09:30" and "10小时25分" at 9pt.
CHECKOUT_HEADERS = ["序号", "姓名", "单位", "手机号", "人群类别", "签到时间", "签退时间", "时长", "签名"]
CHECKOUT_WIDTHS = [9 * mm, 19 * mm, 30 * mm, 22 * mm, 16 * mm, 19 * mm, 19 * mm, 18 * mm, 28 * mm]
# The paper sheet is filled in by hand, so the phone and both signatures keep room.
BLANK_CHECKOUT_HEADERS = ["序号", "姓名", "单位", "手机号", "人群类别", "签到时间", "签名", "签退时间", "签退签名"]
BLANK_CHECKOUT_WIDTHS = [9 * mm, 18 * mm, 28 * mm, 28 * mm, 16 * mm, 16 * mm, 24 * mm, 16 * mm, 25 * mm]
ROW_H = 8 * mm  # room for a handwritten signature


def format_duration(minutes: Optional[int]) -> str:
    """Return a stay as printed: 85 → "1小时25分", 40 → "40分钟"; empty when not checked out."""
    if minutes is None:
        return ""
    if minutes < 60:
        return f"{minutes}分钟"
    hours, rest = divmod(minutes, 60)
    return f"{hours}小时{rest}分" if rest else f"{hours}小时"


def _title_block(event: EventHeader, styles: Styles, heading: str) -> list:
    info = [
        ["活动项目", para(event.program, styles.body), "主办单位", para(event.organizer, styles.body)],
        ["活动时间", time_range(event.starts_at, event.ends_at), "活动地点", para(event.venue, styles.body)],
    ]
    table = Table(info, colWidths=[18 * mm, 72 * mm, 18 * mm, 72 * mm])
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), styles.font, 10),
        ("TEXTCOLOR", (0, 0), (0, -1), "#444444"),
        ("TEXTCOLOR", (2, 0), (2, -1), "#444444"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
    ]))
    return [
        Paragraph(f"{text(event.title)}<br/>{heading}", styles.title),
        table,
        Spacer(1, 3 * mm),
    ]


def _table(data: list[list], widths: Sequence[float], styles: Styles, row_height: float) -> LongTable:
    # A row whose text wraps grows to fit it (None = natural height) instead of spilling over the grid.
    heights = [9 * mm] + [None if any(isinstance(c, Paragraph) for c in row) else row_height for row in data[1:]]
    table = LongTable(data, colWidths=list(widths), rowHeights=heights, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), styles.font, 9),
        ("FONT", (0, 0), (-1, 0), styles.font, 10),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (0, 0), (-1, 0), "CENTER"),
        ("ALIGN", (0, 1), (0, -1), "CENTER"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]))
    return table


def _totals(rows: Sequence[RosterRow], styles: Styles, checkout: bool) -> list:
    lines = [f"合计：本场签到 {len(rows)} 人"]
    methods = Counter(r.method_label for r in rows if r.method_label)
    if methods:
        lines.append("其中 " + "，".join(f"{label} {n} 人" for label, n in methods.most_common()))
    groups = Counter(r.group or "未填写" for r in rows)
    if rows:
        lines.append("人群类别：" + "，".join(f"{label} {n} 人" for label, n in groups.most_common()))
    if checkout:
        out = sum(1 for r in rows if r.checked_out_at is not None)
        lines.append(f"已签退 {out} 人，未签退 {len(rows) - out} 人")
    return [Spacer(1, 4 * mm)] + [para(line, styles.body) for line in lines] + [
        Spacer(1, 8 * mm),
        para("经办人（签字）：________________　　负责人（签字）：________________　　（盖章）", styles.body),
    ]


def build_roster_pdf(
    event: EventHeader,
    rows: Sequence[RosterRow],
    *,
    mask: bool = True,
    printed_at: Optional[datetime] = None,
    font: Optional[FontInfo] = None,
) -> bytes:
    """Return the roster PDF of an event's check-ins, sorted by check-in time."""
    font = font or pdf_font()
    styles = Styles(font)
    checkout = event.checkout_enabled
    widths = CHECKOUT_WIDTHS if checkout else WIDTHS
    ordered = sorted(rows, key=lambda r: r.checked_in_at)
    moments = [r.checked_in_at for r in ordered] + [r.checked_out_at for r in ordered if checkout and r.checked_out_at]
    same_day = len({fmt_local(at, "%Y%m%d") for at in moments}) <= 1
    time_pattern = "%H:%M" if same_day else "%m-%d %H:%M"
    data: list[list] = [list(CHECKOUT_HEADERS if checkout else HEADERS)]
    for n, row in enumerate(ordered, start=1):
        line = [
            str(n),
            fit_cell(row.name, widths[1], styles.cell),
            fit_cell(row.workplace, widths[2], styles.cell),
            mask_phone(row.phone) if mask else row.phone,
            fit_cell(row.group, widths[4], styles.cell),
            fmt_local(row.checked_in_at, time_pattern),
        ]
        if checkout:
            line.append(fmt_local(row.checked_out_at, time_pattern) if row.checked_out_at else "")
            line.append(format_duration(row.duration_minutes))
        data.append(line + [""])
    story = _title_block(event, styles, "签 到 表")
    story.append(_table(data, widths, styles, ROW_H))
    story.extend(_totals(ordered, styles, checkout))
    return build_pdf(story, title=f"{event.title} 签到表", font=font, printed_at=printed_at,
                     left_note="龙岗区总工会")


def build_blank_roster_pdf(
    event: EventHeader,
    rows: int,
    *,
    printed_at: Optional[datetime] = None,
    font: Optional[FontInfo] = None,
) -> bytes:
    """Return a sign-in sheet with `rows` empty numbered lines, for events run on paper."""
    font = font or pdf_font()
    styles = Styles(font)
    headers, widths = (BLANK_CHECKOUT_HEADERS, BLANK_CHECKOUT_WIDTHS) if event.checkout_enabled else (HEADERS, WIDTHS)
    data: list[list] = [list(headers)] + [[str(n)] + [""] * (len(headers) - 1) for n in range(1, rows + 1)]
    story = _title_block(event, styles, "签 到 表（纸质）")
    story.append(_table(data, widths, styles, 9 * mm))
    story.extend([
        Spacer(1, 4 * mm),
        para(f"合计：本表共 {rows} 行，实到 ______ 人", styles.body),
        para("手机号请完整填写 11 位，便于录入系统；签到后请本人签名"
             + ("，离场时填写签退时间并再次签名。" if event.checkout_enabled else "。"), styles.small),
        Spacer(1, 8 * mm),
        para("经办人（签字）：________________　　负责人（签字）：________________　　（盖章）", styles.body),
    ])
    return build_pdf(story, title=f"{event.title} 签到表", font=font, printed_at=printed_at,
                     left_note="龙岗区总工会")
