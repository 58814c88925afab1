"""Shared A4 page furniture for the PDFs: styles, escaped paragraphs, the "第 x 页 / 共 y 页" footer."""
from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate

from eventsvc.core.timeutil import fmt_local, utcnow
from eventsvc.reports.fonts import FontInfo, pdf_font

PAGE_W, PAGE_H = A4
MARGIN = 15 * mm
CONTENT_W = PAGE_W - 2 * MARGIN
GRID = colors.HexColor("#555555")
HEAD_BG = colors.HexColor("#eeeeee")


class Styles:
    """Paragraph styles in the chosen Chinese font."""

    def __init__(self, font: FontInfo) -> None:
        self.font = font.name
        self.title = ParagraphStyle("title", fontName=font.name, fontSize=18, leading=24, alignment=TA_CENTER,
                                    spaceAfter=4 * mm)
        self.subtitle = ParagraphStyle("subtitle", fontName=font.name, fontSize=13, leading=18,
                                       alignment=TA_CENTER, spaceAfter=3 * mm)
        self.heading = ParagraphStyle("heading", fontName=font.name, fontSize=12.5, leading=17,
                                      spaceBefore=4 * mm, spaceAfter=2 * mm)
        self.body = ParagraphStyle("body", fontName=font.name, fontSize=10.5, leading=15)
        self.small = ParagraphStyle("small", fontName=font.name, fontSize=8.5, leading=11)
        self.cell = ParagraphStyle("cell", fontName=font.name, fontSize=9, leading=11.5)


def text(value: Any) -> str:
    """Escape user text for a reportlab paragraph, so `<b>张&三` prints literally."""
    return escape("" if value is None else str(value)).replace("\n", "<br/>")


def para(value: Any, style: ParagraphStyle) -> Paragraph:
    """Return a paragraph of escaped user text."""
    return Paragraph(text(value), style)


def fit_cell(value: Any, width: float, style: ParagraphStyle) -> Any:
    """Return a plain string when it fits the column (fast, never parsed), else a wrapping paragraph."""
    raw = "" if value is None else str(value)
    if "\n" not in raw and stringWidth(raw, style.fontName, style.fontSize) <= width - 4:
        return raw
    return para(raw, style)


def numbered_canvas(font_name: str, printed_at: datetime, left_note: str = "") -> type[rl_canvas.Canvas]:
    """Return a canvas class that writes "第 x 页 / 共 y 页" and the print time once all pages are known."""

    class NumberedCanvas(rl_canvas.Canvas):
        _startPage: Callable[[], None]  # reportlab's own page reset, absent from its stubs

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802  (reportlab's name)
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved)
            for state in self._saved:
                self.__dict__.update(state)
                self._footer(total)
                super().showPage()
            super().save()

        def _footer(self, total: int) -> None:
            self.saveState()
            self.setFont(font_name, 8.5)
            self.setFillColor(colors.HexColor("#333333"))
            y = 9 * mm
            width = self._pagesize[0]  # type: ignore[attr-defined]  # landscape reports (月报) centre on their own width
            self.drawCentredString(width / 2, y, f"第 {self.getPageNumber()} 页 / 共 {total} 页")
            self.drawRightString(width - MARGIN, y, f"打印时间：{fmt_local(printed_at)}")
            if left_note:
                self.drawString(MARGIN, y, left_note[:40])
            self.restoreState()

    return NumberedCanvas


def build_pdf(
    story: list[Flowable],
    *,
    title: str,
    font: FontInfo | None = None,
    printed_at: datetime | None = None,
    left_note: str = "",
    pagesize: tuple[float, float] = A4,
    on_page: Callable[[Any, Any], None] | None = None,
) -> bytes:
    """Lay out the story on A4 with margins and the page footer; return the PDF bytes."""
    font = font or pdf_font()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=pagesize, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
        bottomMargin=MARGIN + 3 * mm, title=title, author="龙岗区总工会活动管理系统", creator="eventsvc",
    )
    canvasmaker = numbered_canvas(font.name, printed_at or utcnow(), left_note)
    kwargs: dict[str, Any] = {"canvasmaker": canvasmaker}
    if on_page is not None:
        kwargs["onFirstPage"] = on_page
        kwargs["onLaterPages"] = on_page
    doc.build(story, **kwargs)
    return buf.getvalue()


def time_range(starts_at: datetime, ends_at: datetime) -> str:
    """Format an event's time in China time: same day shows the end as a time only."""
    if fmt_local(starts_at, "%Y-%m-%d") == fmt_local(ends_at, "%Y-%m-%d"):
        return f"{fmt_local(starts_at)} — {fmt_local(ends_at, '%H:%M')}"
    return f"{fmt_local(starts_at)} — {fmt_local(ends_at)}"
