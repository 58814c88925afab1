"""Station PDFs: the permanent QR as A5/A6 poster or sticker, and the monthly station report.

Pure functions from a station and its figures to bytes; views only send them.
"""
from __future__ import annotations

import io
from calendar import monthrange
from collections.abc import Sequence
from datetime import date

from reportlab.graphics import renderPDF
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A5, A6
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from eventsvc.programs.models import Program
from eventsvc.reports.fonts import pdf_font
from eventsvc.reports.pdf_brief import BriefPhoto, photo_grid
from eventsvc.reports.pdf_layout import CONTENT_W, GRID, HEAD_BG, Styles, build_pdf, text
from eventsvc.reports.pdf_poster import RED, _qr_drawing
from eventsvc.stations.models import Station
from eventsvc.stations.queries import MonthFigures

SIZES = {"a5": A5, "a6": A6}


def build_station_poster_pdf(station: Station, url: str, *, size: str = "a5", sticker: bool = False) -> bytes:
    """Return a one-page poster (name, services, QR, what to do) or a sticker (name and QR only)."""
    font = pdf_font()
    page_w, page_h = SIZES[size]
    scale = page_w / A5[0]  # A6 is A5 halved: every measure shrinks alike
    buf = io.BytesIO()
    c = rl_canvas.Canvas(buf, pagesize=(page_w, page_h))
    c.setTitle(f"{station.name} 到访登记二维码")
    c.setAuthor("龙岗区总工会活动管理系统")
    band = 16 * mm * scale
    c.setFillColor(RED)
    c.rect(0, page_h - band, page_w, band, stroke=0, fill=1)
    c.setFillColor(colors.white)
    c.setFont(font.name, 13 * scale)
    c.drawCentredString(page_w / 2, page_h - band * 0.62, f"龙岗区总工会 · {station.kind}")
    c.setFillColor(colors.black)
    title_size = (20 if len(station.name) <= 12 else 15) * scale
    c.setFont(font.name, title_size)
    c.drawCentredString(page_w / 2, page_h - band - 12 * mm * scale, station.name[:30])
    y = page_h - band - 18 * mm * scale
    if not sticker:
        c.setFont(font.name, 10 * scale)
        services = "、".join(station.service_list)
        if services:
            c.drawCentredString(page_w / 2, y, f"服务：{services[:40]}")
            y -= 6 * mm * scale
        if station.opening_hours:
            c.drawCentredString(page_w / 2, y, f"开放时间：{station.opening_hours[:40]}")
            y -= 6 * mm * scale
    qr_size = (page_w * 0.62) if sticker else (page_w * 0.52)
    drawing, total = _qr_drawing(url, qr_size)
    qr_bottom = y - 2 * mm * scale - total
    renderPDF.draw(drawing, c, (page_w - total) / 2, qr_bottom)
    c.setFillColor(RED)
    c.setFont(font.name, 15 * scale)
    c.drawCentredString(page_w / 2, qr_bottom - 8 * mm * scale, "微信扫码登记到访")
    if not sticker:
        c.setFillColor(colors.HexColor("#444444"))
        c.setFont(font.name, 9 * scale)
        c.drawCentredString(page_w / 2, qr_bottom - 15 * mm * scale,
                            "首次填写姓名和手机号，以后扫码一键登记；每人每天登记一次。")
    c.setFillColor(colors.HexColor("#666666"))
    c.setFont(font.name, 7 * scale)
    c.drawCentredString(page_w / 2, 6 * mm * scale, url)
    c.showPage()
    c.save()
    return buf.getvalue()


def _daily_chart(figures: MonthFigures, width: float) -> Drawing:
    """A bar chart of visits per day of the month."""
    days = monthrange(figures.year, figures.month)[1]
    values = [figures.daily.get(d, 0) for d in _month_days(figures)]
    height = 60 * mm
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    # reportlab's stubs type these as int; whole points are precise enough for a chart's frame.
    chart.x, chart.y = int(12 * mm), int(10 * mm)
    chart.width, chart.height = int(width - 16 * mm), int(height - 16 * mm)
    chart.data = [values]
    chart.categoryAxis.categoryNames = [str(d) if d % 5 == 0 or d == 1 else "" for d in range(1, days + 1)]
    chart.valueAxis.valueMin = 0
    top = max(values + [1])
    chart.valueAxis.valueMax = top + max(1, top // 10)
    chart.bars[0].fillColor = RED
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.labels.fontSize = 7
    drawing.add(chart)
    return drawing


def _month_days(figures: MonthFigures) -> list[date]:
    return [date(figures.year, figures.month, d) for d in range(1, monthrange(figures.year, figures.month)[1] + 1)]


def _table(rows: list[list[str]], widths: list[float], styles: Styles) -> Table:
    data = [[Paragraph(text(cell), styles.cell) for cell in row] for row in rows]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, GRID), ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG)]))
    return table


def build_station_report_pdf(station: Station, figures: MonthFigures, program: Program | None,
                             photos: Sequence[BriefPhoto] = ()) -> bytes:
    """Return the monthly station report: totals, the daily chart, busiest hours, services and bulk services,
    and the month's photos (two per row, captioned)."""
    font = pdf_font()
    styles = Styles(font)
    title = f"{station.name} {figures.year} 年 {figures.month} 月服务报告"
    open_days = sum(1 for n in figures.daily.values() if n)
    story: list[Flowable] = [
        Paragraph(text(title), styles.title),
        Paragraph(text(f"{station.kind} · {station.organization.name}" + (f" · {station.address}" if station.address
                                                                           else "")), styles.subtitle),
        _table([["到访人次", "服务人数", "有到访的天数", "计入项目"],
                [str(figures.total), str(figures.people), str(open_days),
                 f"{program.name}（驿站服务）" if program else "—"]],
               [CONTENT_W * 0.2, CONTENT_W * 0.2, CONTENT_W * 0.2, CONTENT_W * 0.4], styles),
        Paragraph("每日到访人次", styles.heading),
        _daily_chart(figures, CONTENT_W),
        Paragraph("最忙时段", styles.heading),
    ]
    if figures.busiest:
        story.append(_table([["时段", "人次"]] + [[f"{h:02d}:00—{h + 1:02d}:00", str(n)] for h, n in figures.busiest],
                            [CONTENT_W * 0.5, CONTENT_W * 0.5], styles))
    else:
        story.append(Paragraph("本月暂无到访。", styles.body))
    story.append(Paragraph("服务使用", styles.heading))
    rows = [["服务", "数量"]] + [[s, f"{n} 次"] for s, n in figures.services] + [
        [label, f"{n} {unit}".strip()] for label, unit, n in figures.supplies]
    story.append(_table(rows, [CONTENT_W * 0.5, CONTENT_W * 0.5], styles) if len(rows) > 1
                 else Paragraph("暂无服务记录。", styles.body))
    story.append(Spacer(1, 6 * mm))
    story += photo_grid(photos, styles, heading="服务照片")
    return build_pdf(story, title=title, font=font, left_note=station.organization.name)
