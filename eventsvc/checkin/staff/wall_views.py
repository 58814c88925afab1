"""The venue wall (签到墙): the check-in QR, the live count, its composition and the latest (masked) names.

One page replaces the old full-screen QR and big screen (their URLs redirect here); static/wall.js polls
`wall_json` and keeps the last figures on screen through short network drops.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, render_template
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from eventsvc.checkin.links import checkin_url
from eventsvc.checkin.models import IMPORT, MANUAL, SELF_SCAN, STAFF_SCAN, CheckIn, Participant
from eventsvc.checkin.queries import counted_check_in, event_stats
from eventsvc.checkin.staff.views import _current_qr_url as current_qr_url
from eventsvc.checkin.staff.views import _inline_svg as inline_svg
from eventsvc.core.permissions import staff_required
from eventsvc.core.scope import get_in_scope_or_404
from eventsvc.core.timeutil import fmt_local, utcnow
from eventsvc.events.models import QR_DYNAMIC, Event
from eventsvc.extensions import db

bp = Blueprint("checkin_wall", __name__)

# How check-in methods show on the wall: what the people in the hall recognise.
COMPOSITION = (
    ("scan", "扫码", (SELF_SCAN, STAFF_SCAN)), ("manual", "现场登记", (MANUAL,)), ("import", "导入", (IMPORT,)),
)
RECENT = 6


def mask_name(name: str) -> str:
    """Hide all but the first and last character: 王小明 -> 王*明, 李四 -> 李*, 欧阳娜娜 -> 欧**娜."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name + "*" if name else "**"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def _event(event_id: int) -> Event:
    return get_in_scope_or_404(Event, event_id, current_user._get_current_object())


def wall_figures(event: Event) -> dict[str, Any]:
    """Return what the wall shows: count against the goal, composition, the latest names (masked only)."""
    stats = event_stats(event)
    by_method = dict(db.session.execute(
        select(CheckIn.method, func.count(CheckIn.id))
        .where(CheckIn.event_id == event.id, counted_check_in()).group_by(CheckIn.method)
    ).all())
    latest = db.session.execute(
        select(CheckIn.id, CheckIn.name_given, Participant.name, CheckIn.checked_in_at)
        .join(CheckIn.participant).where(CheckIn.event_id == event.id, counted_check_in())
        .order_by(CheckIn.checked_in_at.desc(), CheckIn.id.desc()).limit(RECENT)
    ).all()
    return {
        "ok": True,
        "status": event.status,
        "count": stats["checked_in"],
        "goal": stats["goal"],
        "goal_label": stats["goal_label"],
        "percent": stats["percent"],
        "composition": [{"key": key, "label": label, "count": sum(int(by_method.get(m, 0)) for m in methods)}
                        for key, label, methods in COMPOSITION],
        "recent": [{"id": row[0], "name": mask_name(row[1] or row[2]), "time": fmt_local(row[3], "%H:%M")}
                   for row in latest],
        "server_time": fmt_local(utcnow(), "%H:%M:%S"),
    }


@bp.route("/events/<int:event_id>/wall")
@staff_required
def wall(event_id: int) -> str:
    """Show the venue wall, full screen, for a projector or a TV at the entrance."""
    event = _event(event_id)
    url = current_qr_url(event)
    return render_template(
        "checkin/wall.html", event=event, figures=wall_figures(event), svg=Markup(inline_svg(url)),
        short_url=checkin_url(event), is_dynamic=event.qr_mode == QR_DYNAMIC,
        refresh_seconds=current_app.config.get("DYNAMIC_QR_REFRESH_SECONDS", 15),
        poll_seconds=current_app.config.get("WALL_POLL_SECONDS", 5),
    )


@bp.route("/api/events/<int:event_id>/wall")
@staff_required
def wall_json(event_id: int) -> Response:
    """Answer the figures the wall polls."""
    response = jsonify(wall_figures(_event(event_id)))
    response.headers["Cache-Control"] = "no-store"
    return response
