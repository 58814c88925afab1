"""Staff pages of one event: details with live count and attendees, walk-in check-in, the check-in QR.

They live in checkin (not events) because they read check-ins.
"""
from __future__ import annotations

import re
from typing import Any, Optional

from flask import (
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import func, or_, select
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from eventsvc.checkin.links import checkin_url
from eventsvc.checkin.models import MANUAL, CheckIn, Participant
from eventsvc.checkin.operations import GROUPS, check_in, upsert_participant
from eventsvc.checkin.tokens import make_dynamic_code
from eventsvc.checkin.views import bp
from eventsvc.core.exceptions import OperationError
from eventsvc.core.pagination import page_args
from eventsvc.core.permissions import (
    CHECKIN_ROLES,
    require,
    roles_required,
    staff_required,
)
from eventsvc.core.qr import qr_png, qr_svg
from eventsvc.core.timeutil import fmt_local
from eventsvc.events.models import CANCELLED, QR_DYNAMIC, Event
from eventsvc.events.queries import get_event_for
from eventsvc.extensions import db


class WalkInForm(FlaskForm):
    """A worker staff add by hand (walk-in or a late paper entry)."""

    name = StringField("姓名", validators=[DataRequired("请填写姓名"), Length(max=40, message="姓名不能超过 40 个字")])
    phone = StringField("手机号", validators=[DataRequired("请填写手机号")])
    workplace = StringField("单位", validators=[Length(max=100, message="单位名称不能超过 100 个字")])
    group = SelectField("人群类别", choices=[SelectChoice("", "请选择（可不选）"), *GROUPS], default="")


def _event_or_404(event_id: int) -> Event:
    event = get_event_for(current_user, event_id)
    require(event is not None)
    assert event is not None
    return event


def _stats(event: Event) -> dict[str, Any]:
    """Return the live figures of an event: 人次 so far and the latest check-in time."""
    count, last_at = db.session.execute(
        select(func.count(CheckIn.id), func.max(CheckIn.checked_in_at)).where(CheckIn.event_id == event.id)
    ).one()
    return {
        "ok": True,
        "count": int(count or 0),
        "capacity": event.capacity,
        "expected": event.expected_attendance,
        "last_at": fmt_local(last_at, "%H:%M:%S") if last_at else None,
        "status": event.status,
    }


def _attendee_query(event: Event, q: str):  # type: ignore[no-untyped-def]
    """Select the event's check-ins, newest first, optionally by name or the phone's last digits."""
    stmt = select(CheckIn).join(CheckIn.participant).where(CheckIn.event_id == event.id)
    if q:
        digits = q.replace(" ", "")
        if digits.isdigit():
            stmt = stmt.where(Participant.phone.endswith(digits, autoescape=True))
        else:
            stmt = stmt.where(or_(Participant.name.contains(q, autoescape=True),
                                  Participant.workplace.contains(q, autoescape=True)))
    return stmt.order_by(CheckIn.checked_in_at.desc(), CheckIn.id.desc())


def _render_event_page(event: Event, walk_in: Optional[WalkInForm] = None, status: int = 200):  # type: ignore[no-untyped-def]
    q = request.args.get("q", "").strip()[:40]
    page, per_page = page_args()
    pagination = db.paginate(_attendee_query(event, q), page=page, per_page=per_page, error_out=False)
    stats = _stats(event)
    opens, closes = event.window(current_app.config.get("CHECKIN_OPENS_MINUTES_BEFORE", 60))
    can_walk_in = current_user.can_check_in and event.status != CANCELLED
    return render_template(
        "checkin/staff_event.html", event=event, stats=stats, pagination=pagination, q=q,
        window=(opens, closes), walk_in=walk_in or (WalkInForm() if can_walk_in else None),
        can_walk_in=can_walk_in, public_url=checkin_url(event), first_index=(page - 1) * per_page,
        total=pagination.total,
    ), status


@bp.route("/events/<int:event_id>")
@staff_required
def event_page(event_id: int):  # type: ignore[no-untyped-def]
    """Show an event to staff: details, live count, attendees, actions."""
    return _render_event_page(_event_or_404(event_id))


@bp.route("/api/events/<int:event_id>/stats")
@staff_required
def event_stats_json(event_id: int):  # type: ignore[no-untyped-def]
    """Answer the live count the event page and the QR screen poll."""
    return jsonify(_stats(_event_or_404(event_id)))


@bp.route("/events/<int:event_id>/walk-in", methods=["POST"])
@roles_required(*CHECKIN_ROLES)
def add_walk_in(event_id: int):  # type: ignore[no-untyped-def]
    """Check in a worker staff enter by hand (no window: a late paper entry is fine)."""
    event = _event_or_404(event_id)
    form = WalkInForm()
    if not form.validate_on_submit():
        return _render_event_page(event, form, 200)
    try:
        person = upsert_participant(form.name.data, form.phone.data, form.workplace.data or "",
                                    form.group.data or "", by=current_user)
        result = check_in(event, person, by=current_user, method=MANUAL, enforce_window=False)
    except OperationError as exc:
        db.session.rollback()
        target = getattr(form, exc.field or "", None)
        if target is not None and exc.field in ("name", "phone", "workplace", "group"):
            target.errors.append(exc.message)
            return _render_event_page(event, form, 200)
        flash(exc.message, "error")
        return redirect(url_for("checkin.event_page", event_id=event.id))
    db.session.commit()
    if result.created:
        flash(f"已为 {person.name} 签到（第 {result.ordinal} 位）。", "success")
    else:
        flash(f"该职工已于 {fmt_local(result.check_in.checked_in_at, '%H:%M')} 签到，无需重复签到。", "warning")
    return redirect(url_for("checkin.event_page", event_id=event.id))


def _current_qr_url(event: Event) -> str:
    """Return what the QR carries now: the fixed URL, or one with a fresh signed code."""
    if event.qr_mode == QR_DYNAMIC:
        return checkin_url(event, make_dynamic_code(event.code))
    return checkin_url(event)


def _inline_svg(data: str) -> str:
    """Return the QR as inline SVG that CSS sizes: no XML prolog, no fixed mm size, a 2-module margin.

    The screen around it is white, so the narrower quiet zone leaves more of the height for modules.
    """
    svg = qr_svg(data, border=2)
    svg = svg[svg.find("<svg"):]
    return re.sub(r'^<svg width="[^"]*" height="[^"]*"', '<svg class="qr" role="img" aria-label="签到二维码"', svg)


@bp.route("/events/<int:event_id>/qr")
@staff_required
def show_qr(event_id: int):  # type: ignore[no-untyped-def]
    """Show the check-in QR full screen, to project or hold up at the venue."""
    event = _event_or_404(event_id)
    url = _current_qr_url(event)
    return render_template(
        "checkin/staff_qr.html", event=event, svg=Markup(_inline_svg(url)), url=url,
        short_url=checkin_url(event), is_dynamic=event.qr_mode == QR_DYNAMIC,
        refresh_seconds=current_app.config.get("DYNAMIC_QR_REFRESH_SECONDS", 15),
    )


@bp.route("/api/events/<int:event_id>/qr")
@staff_required
def qr_code_json(event_id: int):  # type: ignore[no-untyped-def]
    """Answer the current QR (URL and SVG) for the dynamic QR screen to swap in."""
    event = _event_or_404(event_id)
    url = _current_qr_url(event)
    return jsonify(ok=True, url=url, svg=_inline_svg(url),
                   refresh_seconds=current_app.config.get("DYNAMIC_QR_REFRESH_SECONDS", 15))


@bp.route("/events/<int:event_id>/qr.png", endpoint="qr_png")
@staff_required
def qr_png_download(event_id: int):  # type: ignore[no-untyped-def]
    """Send the fixed check-in QR as a PNG for posters and chat groups."""
    event = _event_or_404(event_id)
    png = qr_png(checkin_url(event), box_size=12)
    response = Response(png, mimetype="image/png")
    filename = f"checkin-qr-{event.code}.png"
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
