"""The A4 QR poster put up at the venue: title, time, place, organizer, a 10 cm QR and what to do."""
from __future__ import annotations

import io
from typing import Any, cast

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import Paragraph

from eventsvc.reports.fonts import FontInfo, pdf_font
from eventsvc.reports.pdf_layout import MARGIN, PAGE_W, text, time_range
from eventsvc.reports.records import EventHeader

RED = colors.HexColor("#c8161d")
QR_SIZE = 100 * mm  # printed width of the dark code itself; the quiet zone comes on top
QR_BORDER = 2  # modules of quiet zone; the white page around it adds more
INSTRUCTION = "微信或手机相机扫码签到"


def _qr_drawing(url: str, code_size: float) -> tuple[Drawing, float]:
    """Draw the QR as vector squares (sharp at any printer resolution); return it and its full width."""
    widget = QrCodeWidget(url, barLevel="M", barBorder=QR_BORDER)
    widget.draw()  # computes the module count
    modules = cast(Any, widget).qr.getModuleCount()  # set by draw(); not in reportlab's stubs
    total = code_size * (modules + 2 * QR_BORDER) / modules
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(total, total, transform=[total / (x2 - x1), 0, 0, total / (y2 - y1), 0, 0])
    drawing.add(widget)
    return drawing, total


def _centered(c: rl_canvas.Canvas, markup: str, style: ParagraphStyle, top: float) -> float:
    """Draw a wrapped centered paragraph whose top is at `top`; return its bottom."""
    para = Paragraph(markup, style)
    width = PAGE_W - 2 * MARGIN
    _, height = para.wrap(width, 200 * mm)
    para.drawOn(c, MARGIN, top - height)
    return top - height


SCREEN_INSTRUCTION = "请扫描活动现场大屏上的签到二维码"
SCREEN_NOTE = "本场活动使用动态二维码（定时刷新），打印的二维码无法签到。"


def _screen_box(c: rl_canvas.Canvas, font: FontInfo, top: float, size: float) -> float:
    """Draw, where the QR would be, a framed instruction to scan the venue screen; return its bottom."""
    page_w = A4[0]
    c.setStrokeColor(RED)
    c.setLineWidth(3)
    c.roundRect((page_w - size) / 2, top - size, size, size, 8 * mm, stroke=1, fill=0)
    c.setFillColor(RED)
    c.setFont(font.name, 26)
    c.drawCentredString(page_w / 2, top - size / 2 + 8 * mm, "请扫描现场大屏")
    c.drawCentredString(page_w / 2, top - size / 2 - 6 * mm, "上的签到二维码")
    return top - size


def build_poster_pdf(event: EventHeader, url: str | None, *, font: FontInfo | None = None) -> bytes:
    """Return a one-page A4 poster whose QR opens `url` (the event's public check-in page).

    `url` None (a dynamic-QR event): a printed code would be refused at the door ("请扫描现场二维码"),
    so the poster carries no QR at all, only the instruction to scan the venue screen.
    """
    font = font or pdf_font()
    page_w, page_h = A4
    buf = io.BytesIO()
    c = rl_canvas.Canvas(buf, pagesize=A4)
    c.setTitle(f"{event.title} 签到二维码")
    c.setAuthor("龙岗区总工会活动管理系统")

    c.setFillColor(RED)
    c.rect(0, page_h - 22 * mm, page_w, 22 * mm, stroke=0, fill=1)
    c.setFillColor(colors.white)
    c.setFont(font.name, 16)
    c.drawCentredString(page_w / 2, page_h - 14 * mm, f"{event.program}" if len(event.program) <= 30 else
                        event.program[:30] + "…")

    title_len = len(event.title)
    size = 30 if title_len <= 14 else 26 if title_len <= 24 else 22
    title_style = ParagraphStyle("poster-title", fontName=font.name, fontSize=size, leading=size * 1.3,
                                 alignment=TA_CENTER, textColor=colors.black)
    info_style = ParagraphStyle("poster-info", fontName=font.name, fontSize=14, leading=20, alignment=TA_CENTER,
                                textColor=colors.HexColor("#222222"))
    y = _centered(c, text(event.title), title_style, page_h - 32 * mm)
    info = [f"时间：{time_range(event.starts_at, event.ends_at)}", f"地点：{text(event.venue) or '—'}",
            f"主办：{text(event.organizer)}"]
    y = _centered(c, "<br/>".join(info), info_style, y - 6 * mm)

    # The QR keeps its full 10 cm; titles are at most 120 chars, so the text above always fits.
    qr_top = min(y - 2 * mm, page_h - 100 * mm)
    if url is None:
        qr_bottom = _screen_box(c, font, qr_top, QR_SIZE)
        instruction, note = SCREEN_INSTRUCTION, SCREEN_NOTE
    else:
        drawing, qr_total = _qr_drawing(url, QR_SIZE)
        qr_bottom = qr_top - qr_total
        renderPDF.draw(drawing, c, (page_w - qr_total) / 2, qr_bottom)
        c.setFillColor(colors.HexColor("#333333"))
        c.setFont(font.name, 12)
        c.drawCentredString(page_w / 2, qr_bottom - 2 * mm, url)
        instruction, note = INSTRUCTION, "打开页面后填写姓名和手机号即可完成签到；同一手机号每场只需签到一次。"

    c.setFillColor(RED)
    c.setFont(font.name, 24)
    c.drawCentredString(page_w / 2, qr_bottom - 15 * mm, instruction)
    c.setFillColor(colors.HexColor("#444444"))
    c.setFont(font.name, 12)
    c.drawCentredString(page_w / 2, qr_bottom - 24 * mm, note)
    c.setFont(font.name, 9)
    c.drawCentredString(page_w / 2, 10 * mm, "深圳市龙岗区总工会")
    c.showPage()
    c.save()
    return buf.getvalue()
