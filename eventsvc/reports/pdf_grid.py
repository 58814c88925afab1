"""A long table drawn row by row straight onto the canvas: time linear in rows, memory bounded.

reportlab's LongTable re-splits the whole remaining table at every page break (quadratic in pages) and the
numbered-canvas footer keeps every page's state until the end. Here each row is drawn as it arrives, the
header row and a running head repeat on every page, and "共 M 页" is a form XObject that every page refers to
and that is written once, after the last page, so no page waits in memory for the total.
"""
from __future__ import annotations

import io
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfdoc import PDFName, PDFStream
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import Flowable, Paragraph

from eventsvc.core.timeutil import fmt_local, utcnow
from eventsvc.reports.fonts import FontInfo
from eventsvc.reports.pdf_layout import GRID, HEAD_BG, MARGIN

Cell: TypeAlias = str | Paragraph
PAGE_W, PAGE_H = A4
TOP = PAGE_H - MARGIN
BOTTOM = MARGIN + 3 * mm  # as build_pdf: room for the footer
PAD_X = 2  # LEFTPADDING / RIGHTPADDING of the old table style
PAD_Y = 3  # reportlab's default TOPPADDING / BOTTOMPADDING
TOTAL_FORM = "evsPageTotal"


@dataclass(frozen=True)
class GridSpec:
    """What the table looks like: headers, widths, row heights and the text around it."""

    headers: Sequence[str]
    widths: Sequence[float]
    row_height: float
    running_head: str  # printed at the top of every page after the first (the event title)
    left_note: str = ""
    header_height: float = 9 * mm
    body_size: float = 9
    header_size: float = 10


class _CompressingCanvas(rl_canvas.Canvas):
    """A canvas that deflates each page's content as the page ends, instead of holding the text until save."""

    def showPage(self) -> None:  # reportlab's name
        super().showPage()
        page = self._doc.Pages.pages[-1]  # type: ignore[attr-defined]
        raw = page.stream
        if isinstance(raw, str) and not page.Contents:
            stream = PDFStream(content=zlib.compress(raw.encode("latin-1")))
            stream.dictionary["Filter"] = PDFName("FlateDecode")
            stream.filters = []
            page.Contents = stream
            page.stream = None


class StreamedGrid:
    """Draw lead flowables, then table rows one at a time, then tail flowables; return the PDF bytes."""

    def __init__(self, spec: GridSpec, font: FontInfo, *, title: str, author: str,
                 printed_at: datetime | None = None) -> None:
        self.spec = spec
        self.font = font.name
        self.printed_at = fmt_local(printed_at or utcnow())
        self.buf = io.BytesIO()
        self.canvas = _CompressingCanvas(self.buf, pagesize=A4)
        self.canvas.setTitle(title)
        self.canvas.setAuthor(author)
        self.canvas.setCreator("eventsvc")
        self.x0 = (PAGE_W - sum(spec.widths)) / 2
        edges = [self.x0]
        for w in spec.widths:
            edges.append(edges[-1] + w)
        self.edges = edges
        self.page = 1
        self.y = TOP
        self.table_top: float | None = None  # top of the table on this page, None while no table is open
        self.lines: list[float] = []  # horizontal rule positions of the table on this page

    # -- page furniture ------------------------------------------------------------------------------------
    def _end_page(self) -> None:
        self._footer()
        self.canvas.showPage()
        self.page += 1
        self.y = TOP
        self._running_head()

    def _footer(self) -> None:
        self._close_table_block()
        c = self.canvas
        c.saveState()
        c.setFont(self.font, 8.5)
        c.setFillColor(colors.HexColor("#333333"))
        y = 9 * mm
        prefix = f"第 {self.page} 页 / 共 "
        # The total is unknown until the end: the prefix ends at the centre, the form continues from there.
        c.drawRightString(PAGE_W / 2, y, prefix)
        c.saveState()
        c.translate(PAGE_W / 2, y)
        c.doForm(TOTAL_FORM)
        c.restoreState()
        c.drawRightString(PAGE_W - MARGIN, y, f"打印时间：{self.printed_at}")
        if self.spec.left_note:
            c.drawString(MARGIN, y, self.spec.left_note[:40])
        c.restoreState()

    def _running_head(self) -> None:
        c = self.canvas
        c.setFont(self.font, 9)
        c.setFillColor(colors.HexColor("#333333"))
        head = self.spec.running_head
        while head and stringWidth(head, self.font, 9) > PAGE_W - 2 * MARGIN:
            head = head[:-2] + "…"
        c.drawCentredString(PAGE_W / 2, TOP - 9, head)
        c.setFillColor(colors.black)
        self.y = TOP - 6 * mm

    # -- flowables before and after the table ----------------------------------------------------------------
    def flow(self, flowables: Iterable[Flowable], *, keep_together: bool = False) -> None:
        """Draw flowables top-down, starting a page when one (or, kept together, the group) does not fit."""
        self._close_table_block()
        width = PAGE_W - 2 * MARGIN
        items = list(flowables)
        if keep_together:
            need = sum(f.wrapOn(self.canvas, width, PAGE_H)[1] + f.getSpaceBefore() + f.getSpaceAfter()
                       for f in items)
            if need > self.y - BOTTOM and self.y < TOP - 6 * mm - 1:
                self._end_page()
        for f in items:
            if self.y < TOP - 6 * mm:
                self.y -= f.getSpaceBefore()
            _, h = f.wrapOn(self.canvas, width, self.y - BOTTOM)
            if h > self.y - BOTTOM and self.y < TOP - 6 * mm - 1:
                self._end_page()
                _, h = f.wrapOn(self.canvas, width, self.y - BOTTOM)
            f.drawOn(self.canvas, MARGIN + _h_offset(f, width), self.y - h)
            self.y -= h + f.getSpaceAfter()

    # -- the table -----------------------------------------------------------------------------------------
    def start_table(self) -> None:
        """Open the table: its header row goes on this page and every page the rows run onto."""
        self._header_row()

    def _header_row(self) -> None:
        c, spec = self.canvas, self.spec
        h = spec.header_height
        if self.y - h - spec.row_height < BOTTOM:
            self._end_page()
        self.table_top = self.y
        self.lines = [self.y, self.y - h]
        c.setFillColor(HEAD_BG)
        c.rect(self.x0, self.y - h, self.edges[-1] - self.x0, h, stroke=0, fill=1)
        c.setFillColor(colors.black)
        c.setFont(self.font, spec.header_size)
        base = self.y - h / 2 - 0.36 * spec.header_size
        for i, name in enumerate(spec.headers):
            c.drawCentredString((self.edges[i] + self.edges[i + 1]) / 2, base, name)
        self.y -= h

    def row(self, cells: Sequence[Cell]) -> None:
        """Draw one row; a paragraph cell (text that wraps) makes the row as tall as it needs."""
        c, spec, edges = self.canvas, self.spec, self.edges
        h = spec.row_height
        wrapped: dict[int, float] = {}  # column -> height of its paragraph
        for i, cell in enumerate(cells):
            if isinstance(cell, Paragraph):
                _, ph = cell.wrap(edges[i + 1] - edges[i] - 2 * PAD_X, PAGE_H)
                wrapped[i] = ph
                h = max(h, ph + 2 * PAD_Y)
        if self.y - h < BOTTOM:
            self._end_page()
            self._header_row()
        bottom = self.y - h
        c.setFont(self.font, spec.body_size)
        base = bottom + h / 2 - 0.36 * spec.body_size
        for i, cell in enumerate(cells):
            if isinstance(cell, Paragraph):
                ph = wrapped[i]
                cell.drawOn(c, edges[i] + PAD_X, bottom + (h - ph) / 2)
                c.setFont(self.font, spec.body_size)
            elif cell:
                if i == 0:  # 序号 is centred, as the old table style did
                    c.drawCentredString((edges[0] + edges[1]) / 2, base, cell)
                else:
                    c.drawString(edges[i] + PAD_X, base, cell)
        self.y = bottom
        self.lines.append(bottom)

    def end_table(self) -> None:
        """Close the table; what follows is drawn below it."""
        self._close_table_block()

    def _close_table_block(self) -> None:
        if self.table_top is None:
            return
        c = self.canvas
        c.saveState()
        c.setStrokeColor(GRID)
        c.setLineWidth(0.5)
        left, right, low = self.edges[0], self.edges[-1], self.lines[-1]
        path = c.beginPath()
        for y in self.lines:
            path.moveTo(left, y)
            path.lineTo(right, y)
        for x in self.edges:
            path.moveTo(x, self.table_top)
            path.lineTo(x, low)
        c.drawPath(path, stroke=1, fill=0)
        c.restoreState()
        self.table_top = None
        self.lines = []

    # -- the end -------------------------------------------------------------------------------------------
    def finish(self) -> bytes:
        """End the last page, write the page total every footer refers to, and return the PDF."""
        self._footer()
        c = self.canvas
        c.beginForm(TOTAL_FORM)
        c.setFont(self.font, 8.5)
        c.setFillColor(colors.HexColor("#333333"))
        c.drawString(0, 0, f"{self.page} 页")
        c.endForm()
        c.showPage()
        c.save()
        return self.buf.getvalue()


def _h_offset(f: Any, width: float) -> float:
    """Centre tables (reportlab's default hAlign); paragraphs fill the width and align themselves."""
    if isinstance(f, Paragraph):
        return 0.0
    fw = getattr(f, "_width", None) or getattr(f, "width", None) or 0
    return max(0.0, (width - float(fw)) / 2)
