"""Staff pages of one event: details with live count and attendees, walk-in check-in, registrations,
the check-in QR and the venue's big screen.

They live in checkin (not events) because they read check-ins.
"""
from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import Select, func, select
from werkzeug.wrappers import Response

from eventsvc.checkin.forms import PersonForm
from eventsvc.checkin.links import checkin_url
from eventsvc.checkin.models import MANUAL, CheckIn, Participant, Registration
from eventsvc.checkin.operations import (
    GROUPS,
    cancel_registration,
    check_in,
    register,
    upsert_participant,
    void_check_in,
)
from eventsvc.checkin.queries import (
    STATUS_FILTERS,
    check_in_matches,
    check_ins_by_participant,
    counted_check_in,
    event_stats,
    pending_check_ins,
    registrations_stmt,
)
from eventsvc.checkin.tokens import make_dynamic_code
from eventsvc.core.exceptions import OperationError
from eventsvc.core.pagination import page_args
from eventsvc.core.permissions import (
    CHECKIN_ROLES,
    MANAGE_ROLES,
    can_check_in_at,
    can_manage_org,
    require,
    roles_required,
    staff_required,
)
from eventsvc.core.qr import qr_png, qr_svg
from eventsvc.core.scope import get_in_scope_or_404
from eventsvc.core.timeutil import fmt_local
from eventsvc.events.models import CANCELLED, QR_DYNAMIC, Event
from eventsvc.extensions import db
from eventsvc.orgs.models import User

bp = Blueprint("checkin_staff", __name__)


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _event(event_id: int) -> Event:
    return get_in_scope_or_404(Event, event_id, _user())


def _staffed_event(event_id: int, *, manage: bool = False) -> Event:
    """Load an event for a staff action: 404 out of read scope, 403 unless the user acts for its unit (§6)."""
    event = _event(event_id)
    allowed = can_manage_org if manage else can_check_in_at
    require(allowed(_user(), event.organization), 403)
    return event


def _live(event: Event) -> dict[str, Any]:
    """Return the live figures of the event page: 人次 so far and the latest check-in time."""
    count, last_at = db.session.execute(
        select(func.count(CheckIn.id), func.max(CheckIn.checked_in_at))
        .where(CheckIn.event_id == event.id, counted_check_in())
    ).one()
    return {
        "ok": True,
        "count": int(count or 0),
        "capacity": event.capacity,
        "expected": event.expected_attendance,
        "last_at": fmt_local(last_at, "%H:%M:%S") if last_at else None,
        "status": event.status,
    }


def _attendee_query(event: Event, q: str, viewer: User) -> Select[CheckIn]:
    """Select the event's check-ins, newest first, optionally by the phone's last digits or by what the
    viewer is shown (stored names of people outside their edit scope never match: check_in_matches)."""
    stmt = select(CheckIn).join(CheckIn.participant).where(CheckIn.event_id == event.id)
    if q:
        digits = q.replace(" ", "")
        if digits.isdigit():
            stmt = stmt.where(Participant.phone.endswith(digits, autoescape=True))
        else:
            stmt = stmt.where(check_in_matches(q, viewer))
    return stmt.order_by(CheckIn.checked_in_at.desc(), CheckIn.id.desc())


def _render_event_page(event: Event, walk_in: PersonForm | None = None) -> str:
    q = request.args.get("q", "").strip()[:40]
    page, per_page = page_args()
    pagination = db.paginate(_attendee_query(event, q, _user()), page=page, per_page=per_page, error_out=False)
    opens, closes = event.window(current_app.config.get("CHECKIN_OPENS_MINUTES_BEFORE", 60))
    can_walk_in = can_check_in_at(_user(), event.organization) and event.status != CANCELLED
    return render_template(
        "checkin/staff_event.html", event=event, stats=_live(event), pagination=pagination, q=q,
        window=(opens, closes), form=walk_in or (PersonForm(formdata=None) if can_walk_in else None),
        groups=GROUPS, can_walk_in=can_walk_in, public_url=checkin_url(event),
        can_manage_event=can_manage_org(_user(), event.organization),
        pending=pending_check_ins(event), can_review=can_manage_org(_user(), event.organization),
        first_index=(page - 1) * per_page, total=pagination.total,
    )


# -- the event page and walk-ins ---------------------------------------------------------------


@bp.route("/events/<int:event_id>")
@staff_required
def event_page(event_id: int) -> str:
    """Show an event to staff: details, live count, attendees, actions."""
    return _render_event_page(_event(event_id))


@bp.route("/api/events/<int:event_id>/stats")
@staff_required
def event_stats_json(event_id: int) -> Response:
    """Answer the live count the event page polls."""
    return jsonify(_live(_event(event_id)))


@bp.route("/events/<int:event_id>/walk-in", methods=["POST"])
@roles_required(*CHECKIN_ROLES)
def add_walk_in(event_id: int) -> Any:
    """Check in a worker staff enter by hand (no window: a late paper entry is fine)."""
    event = _staffed_event(event_id)
    form = PersonForm()
    if not form.validate():
        return _render_event_page(event, form)
    try:
        # What staff typed is kept on the check-in; the shared participant changes only within the
        # rule of may_edit_participant (a walk-in elsewhere never renames a person another street knows).
        details = form.details()
        person = upsert_participant(**details, by=_user(), organization=event.organization)
        result = check_in(event, person, by=_user(), method=MANUAL, enforce_window=False, given=details)
    except OperationError as exc:
        db.session.rollback()
        if exc.field in form.FIELDS:
            form[exc.field].errors = [exc.message]
            return _render_event_page(event, form)
        flash(exc.message, "error")
        return redirect(url_for("checkin_staff.event_page", event_id=event.id))
    db.session.commit()
    if result.created:
        flash(f"已为 {result.check_in.shown_name} 签到（第 {result.ordinal} 位）。", "success")
    else:
        flash(f"该职工已于 {fmt_local(result.check_in.checked_in_at, '%H:%M')} 签到，无需重复签到。", "warning")
    return redirect(url_for("checkin_staff.event_page", event_id=event.id))


@bp.route("/check-ins/<int:check_in_id>/void", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def void_check_in_staff(check_in_id: int) -> Response:
    """Void a mistaken check-in from the attendee list (any time, reason required; the row stays)."""
    record = get_in_scope_or_404(CheckIn, check_in_id, _user(),
                                 visible=lambda c: _user().reaches(c.event.organization))
    require(can_manage_org(_user(), record.event.organization), 403)
    try:
        void_check_in(record, by=_user(), reason=request.form.get("reason", ""))
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(f"已作废 {record.shown_name} 的签到，不再计入人次。", "success")
    return redirect(url_for("checkin_staff.event_page", event_id=record.event_id) + "#attendees", code=303)


# -- registrations -----------------------------------------------------------------------------


@bp.route("/events/<int:event_id>/registrations")
@staff_required
def list_registrations(event_id: int) -> str:
    """List an event's registrations with status and check-in time, filterable by status."""
    event = _event(event_id)
    status = request.args.get("status", "")
    if status not in STATUS_FILTERS:
        status = ""
    q = request.args.get("q", "").strip()[:40]
    page, per_page = page_args()
    pagination = db.paginate(registrations_stmt(event, status, q), page=page, per_page=per_page, count=True)
    checks = check_ins_by_participant(event, [r.participant_id for r in pagination.items])
    rows = [(reg, checks.get(reg.participant_id)) for reg in pagination.items]
    return render_template("checkin/registrations.html", event=event, pagination=pagination, rows=rows,
                           status=status, q=q, filters=STATUS_FILTERS, stats=event_stats(event),
                           form=PersonForm(formdata=None), groups=GROUPS,
                           can_scan=can_check_in_at(_user(), event.organization) and event.status != CANCELLED)


@bp.route("/events/<int:event_id>/registrations", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def add_registration(event_id: int) -> Response:
    """Add a registration by hand (an organizer may exceed the capacity and the window)."""
    event = _staffed_event(event_id, manage=True)
    form = PersonForm()
    if not form.validate():
        flash(form.first_error(), "error")
        return redirect(url_for("checkin_staff.list_registrations", event_id=event.id), code=303)
    try:
        reg = register(event, form.details(), by=_user())
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(f"已添加报名：{reg.shown_name}（{reg.status_label}）", "success")
    return redirect(url_for("checkin_staff.list_registrations", event_id=event.id), code=303)


@bp.route("/registrations/<int:registration_id>/cancel", methods=["POST"], endpoint="cancel_registration")
@roles_required(*MANAGE_ROLES)
def cancel_registration_staff(registration_id: int) -> Response:
    """Cancel a registration; the first person waiting gets the seat."""
    reg = get_in_scope_or_404(Registration, registration_id, _user(),
                              visible=lambda r: _user().reaches(r.event.organization))
    require(can_manage_org(_user(), reg.event.organization), 403)
    try:
        promoted = cancel_registration(reg, by=_user())
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        note = f"，候补的 {promoted.shown_name} 已获得名额" if promoted else ""
        flash(f"已取消 {reg.shown_name} 的报名{note}。", "success")
    return redirect(url_for("checkin_staff.list_registrations", event_id=reg.event_id), code=303)


# -- the check-in QR and the venue screen ------------------------------------------------------


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
def show_qr(event_id: int) -> Response:
    """Old address of the full-screen QR: now part of the venue wall (签到墙)."""
    return redirect(url_for("checkin_wall.wall", event_id=_event(event_id).id))


@bp.route("/api/events/<int:event_id>/qr")
@staff_required
def qr_code_json(event_id: int) -> Response:
    """Answer the current QR (URL and SVG) for the dynamic QR screen to swap in."""
    url = _current_qr_url(_event(event_id))
    return jsonify(ok=True, url=url, svg=_inline_svg(url),
                   refresh_seconds=current_app.config.get("DYNAMIC_QR_REFRESH_SECONDS", 15))


@bp.route("/events/<int:event_id>/qr.png", endpoint="qr_png")
@staff_required
def qr_png_download(event_id: int) -> Response:
    """Send the fixed check-in QR as a PNG for posters and chat groups (static-QR events only)."""
    event = _event(event_id)
    if event.qr_mode == QR_DYNAMIC:  # its plain URL would be refused at the door (请扫描现场二维码)
        flash("本场活动使用动态二维码，没有可打印的固定二维码：请在现场打开“签到二维码”屏幕供职工扫描"
              "（如需打印海报，可在编辑页改为固定二维码）。", "warning")
        return redirect(url_for("checkin_staff.event_page", event_id=event.id), code=303)
    response = current_app.response_class(qr_png(checkin_url(event), box_size=12), mimetype="image/png")
    response.headers["Content-Disposition"] = f"attachment; filename=checkin-qr-{event.code}.png"
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.route("/events/<int:event_id>/screen")
@staff_required
def big_screen(event_id: int) -> Response:
    """Old address of the big screen: now the venue wall (签到墙)."""
    return redirect(url_for("checkin_wall.wall", event_id=_event(event_id).id))
