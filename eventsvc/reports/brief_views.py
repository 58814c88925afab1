"""The 活动简报 download: one event's brief as PDF, for users whose scope covers the event."""
from __future__ import annotations

from flask import Blueprint, Response
from flask_login import current_user

from eventsvc.core.permissions import staff_required
from eventsvc.core.scope import get_in_scope_or_404
from eventsvc.events.models import Event
from eventsvc.reports.brief_queries import load_event_brief
from eventsvc.reports.views import PDF, send_bytes

bp = Blueprint("reports_brief", __name__)


@bp.get("/events/<int:event_id>/brief.pdf")
@staff_required
def event_brief_pdf(event_id: int) -> Response:
    """Send the event's 活动简报 (opens in the browser, prints as one or two A4 pages)."""
    from eventsvc.reports.pdf_brief import build_brief_pdf  # reportlab loads with the first report a worker builds

    event = get_in_scope_or_404(Event, event_id, current_user)
    pdf = build_brief_pdf(load_event_brief(event))
    name = "".join(ch if ch not in '\\/:*?"<>|\r\n\t' else "_" for ch in event.title)[:60].strip() or "活动"
    return send_bytes(pdf, PDF, f"{name}-活动简报.pdf", attachment=False)
