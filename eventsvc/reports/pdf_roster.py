"""签到表: the event roster and the blank paper sign-in sheet (A4, header and title repeated on every page).

Rows are drawn one by one on the canvas (pdf_grid), so a 100 k-row roster takes time linear in rows.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from eventsvc.core.phones import mask_phone
from eventsvc.core.timeutil import fmt_local
from eventsvc.reports.fonts import FontInfo, pdf_font
from eventsvc.reports.pdf_grid import GridSpec, StreamedGrid
from eventsvc.reports.pdf_layout import Styles, fit_cell, para, text, time_range
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
MARKED_STATUSES = ("已取消", "草稿")


def format_duration(minutes: int | None) -> str:
    """Return a stay as printed: 85 → "1小时25分", 40 → "40分钟"; empty when not checked out."""
    if minutes is None:
        return ""
    if minutes < 60:
        return f"{minutes}分钟"
    hours, rest = divmod(minutes, 60)
    return f"{hours}小时{rest}分" if rest else f"{hours}小时"


def status_mark(event: EventHeader) -> str:
    """Return "（已取消）" / "（草稿）" for a roster of an event that was not (or not yet) held."""
    return f"（{event.status_label}）" if event.status_label in MARKED_STATUSES else ""


def _title_block(event: EventHeader, styles: Styles, heading: str) -> list:
    info: list[list[Any]] = [
        ["活动项目", para(event.program, styles.body), "主办单位", para(event.organizer, styles.body)],
        ["活动时间", time_range(event.starts_at, event.ends_at), "活动地点", para(event.venue, styles.body)],
        ["日　　期", fmt_local(event.starts_at, "%Y 年 %m 月 %d 日"), "活动状态", event.status_label or "—"],
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
    mark = status_mark(event)
    if mark:  # a cancelled or draft event's sheet must not pass for the record of a held event
        heading = f'{heading}<br/><font color="#c8161d">{text(mark)}</font>'
    return [
        Paragraph(f"{text(event.title)}<br/>{heading}", styles.title),
        table,
        Spacer(1, 3 * mm),
    ]


def _grid(event: EventHeader, headers: Sequence[str], widths: Sequence[float], row_height: float, font: FontInfo,
          printed_at: datetime | None) -> StreamedGrid:
    spec = GridSpec(headers=headers, widths=widths, row_height=row_height,
                    running_head=f"{event.title} 签到表{status_mark(event)}", left_note=event.organizer)
    return StreamedGrid(spec, font, title=f"{event.title} 签到表", author="龙岗区总工会活动管理系统",
                        printed_at=printed_at)


class _Tally:
    """The totals under the roster, counted while the rows stream past."""

    def __init__(self) -> None:
        self.rows = 0
        self.out = 0
        self.methods: Counter[str] = Counter()
        self.groups: Counter[str] = Counter()

    def add(self, row: RosterRow) -> None:
        self.rows += 1
        if row.method_label:
            self.methods[row.method_label] += 1
        self.groups[row.group or "未填写"] += 1
        if row.checked_out_at is not None:
            self.out += 1

    def flowables(self, styles: Styles, checkout: bool) -> list:
        lines = [f"合计：本场签到 {self.rows} 人"]
        if self.methods:
            lines.append("其中 " + "，".join(f"{label} {n} 人" for label, n in self.methods.most_common()))
        if self.rows:
            lines.append("人群类别：" + "，".join(f"{label} {n} 人" for label, n in self.groups.most_common()))
        if checkout:
            lines.append(f"已签退 {self.out} 人，未签退 {self.rows - self.out} 人")
        return [Spacer(1, 4 * mm)] + [para(line, styles.body) for line in lines] + [
            Spacer(1, 8 * mm),
            para("经办人（签字）：________________　　负责人（签字）：________________　　（盖章）", styles.body),
        ]


def roster_same_day(rows: Iterable[RosterRow], checkout: bool) -> bool:
    """Whether every check-in (and check-out) falls on one China day, so times print without dates."""
    days = set()
    for r in rows:
        days.add(fmt_local(r.checked_in_at, "%Y%m%d"))
        if checkout and r.checked_out_at:
            days.add(fmt_local(r.checked_out_at, "%Y%m%d"))
        if len(days) > 1:
            return False
    return True


def build_roster_pdf(
    event: EventHeader,
    rows: Iterable[RosterRow],
    *,
    mask: bool = True,
    printed_at: datetime | None = None,
    font: FontInfo | None = None,
    same_day: bool | None = None,
) -> bytes:
    """Return the roster PDF of an event's check-ins, sorted by check-in time.

    A list is sorted here; any other iterable is drawn in the order given (the query sorts) and is read
    once, so a 100 k roster never sits in memory. Pass `same_day` with an iterator (see
    `roster_same_day` or `streaming.roster_span`); without it an iterator's times print with their dates.
    """
    font = font or pdf_font()
    styles = Styles(font)
    checkout = event.checkout_enabled
    widths = CHECKOUT_WIDTHS if checkout else WIDTHS
    if isinstance(rows, Sequence):
        rows = sorted(rows, key=lambda r: r.checked_in_at)
        if same_day is None:
            same_day = roster_same_day(rows, checkout)
    event_day = fmt_local(event.starts_at, "%Y%m%d")

    def stamp(at: datetime) -> str:
        # The date shows whenever a time is not on the event's own day (late imports, multi-day events).
        same = same_day and fmt_local(at, "%Y%m%d") == event_day
        return fmt_local(at, "%H:%M" if same else "%m-%d %H:%M")

    grid = _grid(event, CHECKOUT_HEADERS if checkout else HEADERS, widths, ROW_H, font, printed_at)
    grid.flow(_title_block(event, styles, "签 到 表"))
    grid.start_table()
    tally = _Tally()
    name_w, workplace_w, group_w = widths[1], widths[2], widths[4]
    for n, row in enumerate(rows, start=1):
        tally.add(row)
        line = [
            str(n),
            fit_cell(row.name, name_w, styles.cell),
            fit_cell(row.workplace, workplace_w, styles.cell),
            mask_phone(row.phone) if mask else row.phone,
            fit_cell(row.group, group_w, styles.cell),
            stamp(row.checked_in_at),
        ]
        if checkout:
            line.append(stamp(row.checked_out_at) if row.checked_out_at else "")
            line.append(format_duration(row.duration_minutes))
        grid.row(line)
    grid.end_table()
    grid.flow(tally.flowables(styles, checkout), keep_together=True)
    return grid.finish()


def build_blank_roster_pdf(
    event: EventHeader,
    rows: int,
    *,
    printed_at: datetime | None = None,
    font: FontInfo | None = None,
) -> bytes:
    """Return a sign-in sheet with `rows` empty numbered lines, for events run on paper."""
    font = font or pdf_font()
    styles = Styles(font)
    headers, widths = (BLANK_CHECKOUT_HEADERS, BLANK_CHECKOUT_WIDTHS) if event.checkout_enabled else (HEADERS, WIDTHS)
    grid = _grid(event, headers, widths, 9 * mm, font, printed_at)
    grid.flow(_title_block(event, styles, "签 到 表（纸质）"))
    grid.start_table()
    for n in range(1, rows + 1):
        grid.row([str(n)])
    grid.end_table()
    grid.flow(keep_together=True, flowables=[
        Spacer(1, 4 * mm),
        para(f"合计：本表共 {rows} 行，实到 ______ 人", styles.body),
        para("手机号请完整填写 11 位，便于录入系统；签到后请本人签名"
             + ("，离场时填写签退时间并再次签名。" if event.checkout_enabled else "。"), styles.small),
        Spacer(1, 8 * mm),
        para("经办人（签字）：________________　　负责人（签字）：________________　　（盖章）", styles.body),
    ])
    return grid.finish()
