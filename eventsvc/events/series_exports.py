"""Series files: attendance sheet and completion list (PDF, xlsx), and the completion certificate PDF.

Pure functions from the attendance (events/series_attendance) to bytes; views only send them.
"""
from __future__ import annotations

import io

from openpyxl import Workbook
from reportlab.graphics import renderPDF
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from eventsvc.core.figures import fmt_figure
from eventsvc.core.phones import mask_phone
from eventsvc.core.textsafe import neutralize_cell
from eventsvc.core.timeutil import fmt_local
from eventsvc.events.series_attendance import PersonAttendance, SeriesAttendance
from eventsvc.events.series_models import Series
from eventsvc.reports.fonts import pdf_font
from eventsvc.reports.pdf_layout import GRID, HEAD_BG, Styles, build_pdf, text
from eventsvc.reports.pdf_poster import RED, _qr_drawing


def _session_label(i: int, starts_at: object) -> str:
    return f"第{i}场 {fmt_local(starts_at, '%m-%d')}"  # type: ignore[arg-type]


def _grid(rows: list[list[str]], styles: Styles, widths: list[float] | None = None) -> Table:
    table = Table([[Paragraph(text(c), styles.cell) for c in row] for row in rows], colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, GRID), ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG)]))
    return table


def _header(att: SeriesAttendance) -> str:
    s = att.series
    return (f"{s.kind_label} · {s.organization.name} · 共 {len(att.sessions)} 场"
            f" · 结业标准：出勤 {s.threshold_percent}% 以上 · 结业 {len(att.completed)} / {len(att.people)} 人")


def build_attendance_pdf(att: SeriesAttendance, *, mask: bool = True) -> bytes:
    """Return the per-person attendance sheet: one row per person, one column per session (✓)."""
    font = pdf_font()
    styles = Styles(font)
    head = ["序号", "姓名", "手机号"] + [_session_label(i, e.starts_at) for i, e in enumerate(att.sessions, 1)] + [
        "出勤率", "结业"]
    rows = [head] + [
        [str(n), p.name, mask_phone(p.phone) if mask else p.phone]
        + ["✓" if e.id in p.attended else "" for e in att.sessions]
        + [f"{p.percent:g}%", "是" if p.completed else "否"]
        for n, p in enumerate(att.people, 1)]
    story: list[Flowable] = [Paragraph(text(f"{att.series.title} 考勤表"), styles.title),
                             Paragraph(text(_header(att)), styles.body), _grid(rows, styles)]
    return build_pdf(story, title=f"{att.series.title} 考勤表", font=font, pagesize=landscape(A4))


def build_completion_pdf(att: SeriesAttendance, *, mask: bool = True) -> bytes:
    """Return the completion list: the people who reached the threshold."""
    font = pdf_font()
    styles = Styles(font)
    rows = [["序号", "姓名", "手机号", "单位", "出勤场次", "出勤率"]] + [
        [str(n), p.name, mask_phone(p.phone) if mask else p.phone, p.workplace,
         f"{len(p.attended)} / {len(att.sessions)}", f"{p.percent:g}%"] for n, p in enumerate(att.completed, 1)]
    story: list[Flowable] = [Paragraph(text(f"{att.series.title} 结业名单"), styles.title),
                             Paragraph(text(_header(att)), styles.body), _grid(rows, styles)]
    return build_pdf(story, title=f"{att.series.title} 结业名单", font=font)


def build_series_xlsx(att: SeriesAttendance, *, mask: bool = True) -> bytes:
    """Return a workbook with the attendance sheet and the completion list."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("考勤表")
    sessions = [_session_label(i, e.starts_at) for i, e in enumerate(att.sessions, 1)]
    ws.append(["序号", "姓名", "手机号", "单位", *sessions, "出勤场次", "出勤率(%)", "结业"])
    for n, p in enumerate(att.people, 1):
        ws.append([n, neutralize_cell(p.name), mask_phone(p.phone) if mask else p.phone, neutralize_cell(p.workplace)]
                  + ["✓" if e.id in p.attended else "" for e in att.sessions]
                  + [len(p.attended), p.percent, "是" if p.completed else "否"])
    done = wb.create_sheet("结业名单")
    done.append(["序号", "姓名", "手机号", "单位", "出勤场次", "出勤率(%)"])
    for n, p in enumerate(att.completed, 1):
        done.append([n, neutralize_cell(p.name), mask_phone(p.phone) if mask else p.phone,
                     neutralize_cell(p.workplace), len(p.attended), p.percent])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def build_certificate_pdf(series: Series, person: PersonAttendance, verify_url: str) -> bytes:
    """Return a one-page A4 landscape certificate with a QR that opens the public verification page."""
    font = pdf_font()
    page_w, page_h = landscape(A4)
    buf = io.BytesIO()
    c = rl_canvas.Canvas(buf, pagesize=(page_w, page_h))
    c.setTitle(f"{series.title} 结业证书")
    c.setStrokeColor(RED)
    c.setLineWidth(3)
    c.rect(12 * mm, 12 * mm, page_w - 24 * mm, page_h - 24 * mm)
    c.setFillColor(RED)
    c.setFont(font.name, 36)
    c.drawCentredString(page_w / 2, page_h - 45 * mm, "结业证书")
    c.setFillColor(colors.black)
    c.setFont(font.name, 18)
    lines = [f"{person.name} 同志：",
             f"参加“{series.title}”（{series.kind_label}），出勤 {len(person.attended)} 场，",
             f"出勤率 {person.percent:g}%" + (f"，计 {fmt_figure(series.hours)} 学时" if series.hours else "")
             + "，成绩合格，准予结业。", "特发此证。"]
    y = page_h - 75 * mm
    for line in lines:
        c.drawString(35 * mm, y, line[:60])
        y -= 12 * mm
    c.setFont(font.name, 14)
    c.drawRightString(page_w - 35 * mm, 45 * mm, series.organization.name)
    drawing, total = _qr_drawing(verify_url, 30 * mm)
    renderPDF.draw(drawing, c, 30 * mm, 25 * mm)
    c.setFont(font.name, 8)
    c.drawString(30 * mm, 21 * mm, "扫码验证证书真伪")
    c.showPage()
    c.save()
    return buf.getvalue()
