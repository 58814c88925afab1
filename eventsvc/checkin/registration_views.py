"""Registration ahead (报名): the worker's sign-up and e-ticket, self check-out, and the staff list."""
from __future__ import annotations

from typing import Any, Mapping, Optional

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from eventsvc.checkin.links import public_base
from eventsvc.checkin.models import CheckIn, Registration
from eventsvc.checkin.operations import (
    GROUPS,
    cancel_registration,
    check_out,
    register,
    validate_person,
)
from eventsvc.checkin.queries import (
    STATUS_FILTERS,
    check_ins_by_participant,
    event_stats,
    existing_check_in,
    find_participant,
    registration_by_token,
    registration_window,
    registrations_stmt,
    waitlist_position,
)
from eventsvc.checkin.tokens import dump_person, load_person
from eventsvc.checkin.views import bp
from eventsvc.core.exceptions import OperationError
from eventsvc.core.pagination import page_args
from eventsvc.core.permissions import (
    MANAGE_ROLES,
    require,
    roles_required,
    staff_required,
)
from eventsvc.core.qr import qr_png, qr_svg
from eventsvc.events.models import REG_ON, Event
from eventsvc.events.queries import event_by_code, get_event_for
from eventsvc.extensions import db

PERSON_COOKIE = "evs_person"
FIELDS = ("name", "phone", "workplace", "group")
CONSENT = "我同意主办方为组织本次活动使用我填写的姓名、手机号和单位，不向第三方提供。"


@bp.app_template_global("registration_for")
def registration_for(event: Event, person: Optional[Mapping[str, str]]) -> Optional[Registration]:
    """Return the remembered worker's registration at the event (for the public partials)."""
    if not person or event is None:
        return None
    participant = find_participant(person.get("phone", ""))
    if participant is None:
        return None
    return db.session.scalar(select(Registration).where(
        Registration.event_id == event.id, Registration.participant_id == participant.id))


def ticket_url(reg: Registration) -> str:
    """Return the absolute e-ticket URL: what the personal QR carries and the scanner accepts."""
    return public_base() + url_for("checkin.view_ticket", token=reg.token)


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(template: str, status: int = 200, **context: Any) -> Response:
    return _private(current_app.make_response((render_template(template, **context), status)))


def _remember(response: Response, details: Mapping[str, str]) -> None:
    days = int(current_app.config.get("PARTICIPANT_COOKIE_DAYS", 365))
    response.set_cookie(PERSON_COOKIE, dump_person(dict(details)), max_age=days * 86400, httponly=True,
                        samesite="Lax", secure=bool(current_app.config.get("SESSION_COOKIE_SECURE", False)))


def _public_event(code: str) -> Event:
    event = event_by_code(code) or event_by_code(code.lower())
    require(event is not None)
    assert event is not None
    return event


# -- worker pages ----------------------------------------------------------------------------


@bp.route("/c/<code>/register", methods=["GET", "POST"], endpoint="register")
def register_page(code: str) -> Response:
    """Let a worker register (details remembered on the phone) and send them to their e-ticket."""
    event = _public_event(code)
    person = load_person(request.cookies.get(PERSON_COOKIE))
    if event.registration_mode != REG_ON:
        return redirect(url_for("checkin.self_check_in", code=event.code))
    existing = registration_for(event, person)
    if request.method == "GET" and existing is not None and existing.status != "cancelled" and not request.args.get("new"):
        return redirect(url_for("checkin.view_ticket", token=existing.token))
    values = dict(person or {}) if request.method == "GET" and not request.args.get("new") else {}
    errors: dict[str, str] = {}
    message = ""
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in FIELDS}
        if not request.form.get("consent"):
            errors["consent"] = "请阅读并同意信息使用说明"
        try:
            details = validate_person(**values)
        except OperationError as exc:
            errors[exc.field or "name"] = exc.message
        if not errors:
            try:
                reg = register(event, details, by=None)
            except OperationError as exc:
                db.session.rollback()
                message = exc.message
            else:
                db.session.commit()
                response = redirect(url_for("checkin.view_ticket", token=reg.token), code=303)
                _remember(response, details)
                return _private(response)
    opens, closes = registration_window(event)
    return _page("checkin/register.html", event=event, values=values, errors=errors, message=message,
                 groups=GROUPS, consent=CONSENT, existing=existing, opens=opens, closes=closes,
                 stats=event_stats(event))


@bp.route("/t/<token>")
def view_ticket(token: str) -> Response:
    """Show a worker's e-ticket: event details, status and the personal QR to show at the door."""
    reg = registration_by_token(token)
    if reg is None:
        return _page("checkin/ticket_missing.html", status=404, event=None)
    record = existing_check_in(reg.event, reg.participant)
    url = ticket_url(reg)
    return _page("checkin/ticket.html", event=reg.event, reg=reg, check_in=record, url=url,
                 qr=qr_svg(url) if reg.status == "registered" else "", position=waitlist_position(reg))


@bp.route("/t/<token>.png")
def ticket_png(token: str) -> Response:
    """Send the e-ticket QR as a PNG the worker can save to the phone's album."""
    reg = registration_by_token(token)
    require(reg is not None and reg.status == "registered")
    assert reg is not None
    response = current_app.response_class(qr_png(ticket_url(reg), box_size=12), mimetype="image/png")
    response.headers["Content-Disposition"] = f'inline; filename="ticket-{reg.event.code}.png"'
    return _private(response)


@bp.route("/t/<token>/cancel", methods=["POST"])
def cancel_registration_public(token: str) -> Response:
    """Cancel one's own registration from the ticket (the form asks to confirm first)."""
    reg = registration_by_token(token)
    require(reg is not None)
    assert reg is not None
    if request.form.get("confirm") != "yes":
        flash("请勾选确认后再取消报名。", "warning")
        return redirect(url_for("checkin.view_ticket", token=token))
    try:
        cancel_registration(reg, by=None)
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash("已取消报名。名额已释放给候补的职工。", "success")
    return redirect(url_for("checkin.view_ticket", token=token), code=303)


@bp.route("/c/<code>/checkout", methods=["POST"])
def self_check_out(code: str) -> Response:
    """Let a worker check out (签退), identified by the remembered cookie or their ticket token."""
    event = _public_event(code)
    record: Optional[CheckIn] = None
    reg = registration_by_token(request.form.get("token"))
    if reg is not None and reg.event_id == event.id:
        record = existing_check_in(event, reg.participant)
    else:
        person = load_person(request.cookies.get(PERSON_COOKIE))
        participant = find_participant(person.get("phone", "")) if person else None
        record = existing_check_in(event, participant) if participant is not None else None
    message, ok = "", False
    if record is None:
        message = "没有找到您在本场活动的签到记录，请先签到。"
    else:
        try:
            check_out(record, by=None)
        except OperationError as exc:
            db.session.rollback()
            message = exc.message
        else:
            db.session.commit()
            ok = True
    return _page("checkin/ticket_checkout.html", event=event, check_in=record, ok=ok, message=message)


# -- staff pages -----------------------------------------------------------------------------


def _staff_event(event_id: int) -> Event:
    event = get_event_for(current_user, event_id)  # type: ignore[arg-type]
    require(event is not None)
    assert event is not None
    return event


@bp.route("/events/<int:event_id>/registrations")
@staff_required
def list_registrations(event_id: int):  # type: ignore[no-untyped-def]
    """List an event's registrations with status and check-in time, filterable by status."""
    event = _staff_event(event_id)
    status = request.args.get("status", "")
    if status not in STATUS_FILTERS:
        status = ""
    page, per_page = page_args()
    pagination = db.paginate(registrations_stmt(event, status), page=page, per_page=per_page, count=True)
    checks = check_ins_by_participant(event, [r.participant_id for r in pagination.items])
    rows = [(reg, checks.get(reg.participant_id)) for reg in pagination.items]
    return render_template("checkin/registrations.html", event=event, pagination=pagination,
                           rows=rows, status=status, filters=STATUS_FILTERS, stats=event_stats(event),
                           groups=GROUPS, values={}, errors={})


@bp.route("/events/<int:event_id>/registrations", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def add_registration(event_id: int):  # type: ignore[no-untyped-def]
    """Add a registration by hand (an organizer may exceed the capacity and the window)."""
    event = _staff_event(event_id)
    values = {k: request.form.get(k, "") for k in FIELDS}
    try:
        reg = register(event, values, by=current_user._get_current_object())  # type: ignore[attr-defined]
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(f"已添加报名：{reg.participant.name}（{reg.status_label}）", "success")
    return redirect(url_for("checkin.list_registrations", event_id=event.id), code=303)


@bp.route("/registrations/<int:registration_id>/cancel", methods=["POST"], endpoint="cancel_registration")
@roles_required(*MANAGE_ROLES)
def cancel_registration_staff(registration_id: int):  # type: ignore[no-untyped-def]
    """Cancel a registration; the first person waiting gets the seat."""
    reg = db.session.get(Registration, registration_id)
    require(reg is not None and current_user.reaches(reg.event.organization))
    assert reg is not None
    try:
        promoted = cancel_registration(reg, by=current_user._get_current_object())  # type: ignore[attr-defined]
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        note = f"，候补的 {promoted.participant.name} 已获得名额" if promoted else ""
        flash(f"已取消 {reg.participant.name} 的报名{note}。", "success")
    return redirect(url_for("checkin.list_registrations", event_id=reg.event_id), code=303)
