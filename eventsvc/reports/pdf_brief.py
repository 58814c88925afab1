"""活动简报: one event on one or two A4 pages (details, figures, summary, up to six captioned photos).

For other reports (R4's ledger appendix): `brief_story(brief, styles)` returns the flowables of one
brief, to put after a `PageBreak()` in a larger story; `build_brief_pdf(brief)` makes a standalone PDF.
Both take an `EventBrief`, which `eventsvc.reports.brief_queries.load_event_brief(event)` fills in.
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Image, KeepTogether, Paragraph, Spacer, Table, TableStyle

from eventsvc.reports.fonts import FontInfo, pdf_font
from eventsvc.reports.pdf_layout import CONTENT_W, GRID, HEAD_BG, Styles, build_pdf, para, text, time_range
from eventsvc.reports.records import MAX_PHOTOS, BriefPhoto, EventBrief

# The records live in reports.records, so that queries and the evidence pages fill them without loading
# reportlab and Pillow; they are re-exported here, where builders and tests have always found them.
__all__ = ["MAX_PHOTOS", "MAX_SUMMARY_CHARS", "BriefPhoto", "EventBrief", "brief_story", "build_brief_pdf",
           "photo_grid"]

MAX_SUMMARY_CHARS = 1500  # keeps a brief within two pages next to six photos
_PHOTO_EDGE_PX = 1000  # photos are stored up to 2560 px; this is plenty at 85 mm wide and keeps the PDF small
_PHOTO_GAP = 4 * mm
_PHOTO_W = (CONTENT_W - _PHOTO_GAP) / 2
_PHOTO_H = 62 * mm


def _shrunk(data: bytes) -> tuple[io.BytesIO, int, int] | None:
    """Re-encode a photo at print size; None if it cannot be read (a brief never fails over one photo)."""
    from PIL import Image as PILImage  # only a brief with photos needs Pillow

    try:
        with PILImage.open(io.BytesIO(data)) as image:
            image.draft("RGB", (_PHOTO_EDGE_PX, _PHOTO_EDGE_PX))
            photo = image.convert("RGB")
            photo.thumbnail((_PHOTO_EDGE_PX, _PHOTO_EDGE_PX))
            out = io.BytesIO()
            photo.save(out, "JPEG", quality=80, optimize=True)
    except (OSError, ValueError, SyntaxError, PILImage.DecompressionBombError):
        return None
    out.seek(0)
    return out, photo.width, photo.height


def _photo_cell(photo: BriefPhoto) -> Flowable | None:
    shrunk = _shrunk(photo.data)
    if shrunk is None:
        return None
    stream, width, height = shrunk
    scale = min(_PHOTO_W / width, _PHOTO_H / height)
    return Image(stream, width=width * scale, height=height * scale)


def _photo_grid(photos: Sequence[BriefPhoto], styles: Styles, heading: str = "活动照片") -> list[Flowable]:
    """Lay the photos out two per row, each with its caption underneath; a row never splits across pages."""
    cells = [(cell, photo.caption) for photo in photos[:MAX_PHOTOS] if (cell := _photo_cell(photo)) is not None]
    rows: list[Flowable] = []
    for start in range(0, len(cells), 2):
        pair = cells[start:start + 2]
        pad = [""] * (2 - len(pair))
        table = Table([[c for c, _ in pair] + pad, [para(caption, styles.small) for _, caption in pair] + pad],
                      colWidths=[_PHOTO_W + _PHOTO_GAP / 2] * 2)
        table.setStyle(TableStyle([
            ("ALIGN", (0, 0), (-1, -1), "CENTER"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("BOTTOMPADDING", (0, 0), (-1, 0), 1), ("TOPPADDING", (0, 1), (-1, 1), 0),
            ("BOTTOMPADDING", (0, 1), (-1, 1), 3 * mm),
        ]))
        rows.append(table)
    if not rows:
        return []
    return [KeepTogether([Paragraph(heading, styles.heading), rows[0]]), *(KeepTogether([r]) for r in rows[1:])]


photo_grid = _photo_grid  # the monthly station report prints its photos the same way


def _details_table(brief: EventBrief, styles: Styles) -> Table:
    lines = [("活动时间", time_range(brief.starts_at, brief.ends_at)), ("活动地点", brief.place or "—"),
             ("主办单位", brief.organizer or "—")]
    if brief.co_organizers:
        lines.append(("联合主办", brief.co_organizers))
    if brief.program:
        lines.append(("所属项目", brief.program))
    if brief.level:
        lines.append(("活动级别", brief.level))
    lines += list(brief.figures)
    label_w = 28 * mm
    rows = [[para(label, styles.cell), para(value, styles.cell)] for label, value in lines]
    table = Table(rows, colWidths=[label_w, CONTENT_W - label_w])
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, GRID), ("BACKGROUND", (0, 0), (0, -1), HEAD_BG),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def brief_story(brief: EventBrief, styles: Styles) -> list[Flowable]:
    """Return the flowables of one brief (title to photos), for this PDF or another report's appendix."""
    heading = f"{text(brief.title)}"
    if brief.status_label and brief.status_label != "已发布":
        heading += f"<font size=11 color='#b00000'>（{text(brief.status_label)}）</font>"
    story: list[Flowable] = [Paragraph("活动简报", styles.subtitle), Paragraph(heading, styles.title),
                             _details_table(brief, styles), Spacer(1, 2 * mm)]
    summary = brief.summary.strip()
    if len(summary) > MAX_SUMMARY_CHARS:
        summary = summary[:MAX_SUMMARY_CHARS] + "……（全文见系统活动总结）"
    story += [Paragraph("活动总结", styles.heading), para(summary or "（尚未填写活动总结）", styles.body)]
    return story + _photo_grid(brief.photos, styles)


def build_brief_pdf(brief: EventBrief, *, font: FontInfo | None = None, printed_at: datetime | None = None) -> bytes:
    """Return the 活动简报 of one event as A4 PDF bytes."""
    font = font or pdf_font()
    styles = Styles(font)
    return build_pdf(brief_story(brief, styles), title=f"{brief.title} 活动简报", font=font, printed_at=printed_at,
                     left_note=brief.organizer)
