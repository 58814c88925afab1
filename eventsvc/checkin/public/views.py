"""Worker pages: scan the event's QR and check in, register ahead, show the e-ticket, check out.

Every answer to a worker is an ordinary page, because the reader is a worker on a cheap phone inside
WeChat's browser: refusals explain themselves instead of showing an error screen.
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from werkzeug.wrappers import Response

from eventsvc.checkin.forms import PersonForm
from eventsvc.checkin.links import ticket_url
from eventsvc.checkin.models import SELF_SCAN, CheckIn
from eventsvc.checkin.operations import (
    CheckInRefused,
    CheckInResult,
    cancel_registration,
    check_in,
    check_out,
    ensure_open,
    register,
    upsert_participant,
)
from eventsvc.checkin.public.helpers import (
    event_or_none,
    no_store,
    page,
    person_form_context,
    registration_for,
    remember,
    remembered_check_in,
    remembered_person,
)
from eventsvc.checkin.queries import (
    event_stats,
    existing_check_in,
    find_participant,
    registration_by_token,
    registration_window,
    waitlist_position,
)
from eventsvc.checkin.tokens import DynamicCodeRefused, verify_dynamic_code
from eventsvc.core.exceptions import OperationError
from eventsvc.core.permissions import require
from eventsvc.core.qr import qr_png, qr_svg
from eventsvc.events.models import QR_DYNAMIC, REG_ON, Event
from eventsvc.extensions import db

bp = Blueprint("checkin_public", __name__)
bp.add_app_template_global(registration_for, "registration_for")

PRIVACY_NOTICE = "您填写的信息仅用于本次活动签到统计和工会服务，不会向第三方提供。"
CONSENT = "我同意主办方为组织本次活动使用我填写的姓名、手机号和单位，不向第三方提供。"
_DONE_KEY = "evs_done"  # session: the check-in the /done page shows after the redirect
_DYNAMIC_KEY = "evs_dyn"  # session: the dynamic code this browser was shown while it was fresh
# A dynamic code is only valid for about a minute, but typing a name and a phone on a cheap phone
# takes longer: a POST may carry a code up to this old if this same session opened it while fresh.
_FORM_GRACE_SECONDS = 600
_HEADINGS = {
    "not_open": "签到尚未开始", "closed": "签到已结束", "cancelled": "活动已取消", "not_published": "暂不能签到",
    "registration_required": "请先报名", "dynamic_missing": "请扫描现场二维码", "dynamic_expired": "二维码已过期",
    "dynamic_invalid": "二维码无效",
}


# -- self check-in ---------------------------------------------------------------------------


@bp.route("/c/<code>", methods=["GET", "POST"])
def self_check_in(code: str) -> Response:
    """Show the check-in form (or the one-tap form for a remembered worker) and record a check-in."""
    event = event_or_none(code)
    if event is None:
        return _not_found()
    token = request.values.get("t", "") if event.qr_mode == QR_DYNAMIC else ""
    try:
        _verify_dynamic(event, token)
    except DynamicCodeRefused as exc:
        return _refused(event, exc)
    person = remembered_person()
    if request.method == "GET":
        return _show_form_page(event, person, token)
    return _submit(event, person, token)


@bp.get("/c/<code>/done")
def show_check_in_result(code: str) -> Response:
    """Show the answer of the last submit (POST-redirect-GET, so a refresh never resubmits)."""
    event = event_or_none(code)
    if event is None:
        return _not_found()
    record: CheckIn | None = None
    created = False
    done = session.get(_DONE_KEY)
    if isinstance(done, dict) and done.get("c") == event.code and isinstance(done.get("i"), int):
        record = db.session.get(CheckIn, done["i"])
        created = bool(done.get("n"))
    if record is None or record.event_id != event.id:
        record, created = remembered_check_in(event, remembered_person()), False
    if record is None:
        return redirect(url_for("checkin_public.self_check_in", code=event.code))
    return _result(event, record, created)


def _show_form_page(event: Event, person: dict[str, str] | None, token: str) -> Response:
    """GET: a remembered worker already checked in sees that; a closed event says so; else the form."""
    wants_form = bool(request.args.get("edit") or request.args.get("new"))
    if person is not None and not wants_form:
        existing = remembered_check_in(event, person)
        if existing is not None:
            return _result(event, existing, created=False)
    try:
        ensure_open(event)
    except CheckInRefused as exc:
        return _refused(event, exc)
    if person is not None and not wants_form:
        return _form(event, token, PersonForm.from_mapping(person), person=person, quick=True)
    form = PersonForm.from_mapping(person) if person is not None and request.args.get("edit") else PersonForm()
    return _form(event, token, form, person=person)


def _submit(event: Event, person: dict[str, str] | None, token: str) -> Response:
    """POST: validate, upsert the participant, check in, commit once, remember the worker, redirect."""
    if request.form.get("quick") == "1":
        # The one-tap form carries no details: the phone comes only from the signed cookie.
        if person is None:
            return _form(event, token, PersonForm(formdata=None), person=None, message="请填写您的信息后签到。")
        form = PersonForm.from_mapping(person)
    else:
        form = PersonForm()
    if not form.validate():
        return _form(event, token, form, person=person)
    details = form.details()
    try:
        known = find_participant(details["phone"])
        if known is None or existing_check_in(event, known) is None:
            # Refuse a closed event before writing: a repeat still answers "already", nothing is stored.
            ensure_open(event)
        participant = upsert_participant(**details, by=None)
        result = check_in(event, participant, by=None, method=SELF_SCAN)
    except OperationError as exc:
        db.session.rollback()  # a refused check-in stores nothing, not even the participant
        if exc.field in form.FIELDS:
            form[exc.field].errors = [exc.message]
            return _form(event, token, form, person=person)
        return _refused(event, exc)
    db.session.commit()
    session[_DONE_KEY] = {"c": event.code, "i": result.check_in.id, "n": result.created}
    response = redirect(url_for("checkin_public.show_check_in_result", code=event.code), code=303)
    remember(response, details)
    return no_store(response)


def _verify_dynamic(event: Event, token: str) -> None:
    """Raise DynamicCodeRefused unless a dynamic event's code is fresh (or was fresh for this form)."""
    if event.qr_mode != QR_DYNAMIC:
        return
    if request.method == "GET":
        verify_dynamic_code(event.code, token)
        session[_DYNAMIC_KEY] = [event.code, token]
        return
    try:
        verify_dynamic_code(event.code, token)
    except DynamicCodeRefused as exc:
        opened_here = session.get(_DYNAMIC_KEY) == [event.code, token]
        if exc.code != "dynamic_expired" or not opened_here:
            raise
        valid = int(current_app.config.get("DYNAMIC_QR_VALID_SECONDS", 60))
        grace = int(current_app.config.get("DYNAMIC_QR_FORM_GRACE_SECONDS", _FORM_GRACE_SECONDS))
        verify_dynamic_code(event.code, token, max_age=valid + grace)


def _form(event: Event, token: str, form: PersonForm, *, person: dict[str, str] | None, quick: bool = False,
          message: str = "") -> Response:
    """Render the check-in form (full, or one tap for a remembered worker)."""
    return page("checkin/public_form.html", event=event, token=token, person=person, quick=quick, message=message,
                notice=PRIVACY_NOTICE, link_args={"t": token} if token else {}, **person_form_context(form))


def _result(event: Event, record: CheckIn, created: bool) -> Response:
    """Render success (with the ordinal) or "already checked in"."""
    ordinal = CheckInResult(record, created=created).ordinal if created else None
    return page("checkin/public_result.html", event=event, check_in=record, created=created, ordinal=ordinal,
                can_add_other=event.qr_mode != QR_DYNAMIC)


def _refused(event: Event, exc: OperationError) -> Response:
    """Render why this event takes no check-in now, as an ordinary page."""
    return page("checkin/public_refused.html", event=event, message=exc.message, reason=exc.code,
                heading=_HEADINGS.get(exc.code, "暂不能签到"), person=remembered_person())


def _not_found() -> Response:
    """Render the friendly 404 for an unknown event code."""
    return page("checkin/public_not_found.html", status=404, event=None)


def _public_event(code: str) -> Event:
    event = event_or_none(code)
    require(event is not None)
    assert event is not None
    return event


# -- registration, e-ticket, check-out -------------------------------------------------------


@bp.route("/c/<code>/register", methods=["GET", "POST"], endpoint="register")
def register_page(code: str) -> Response:
    """Let a worker register (details remembered on the phone) and send them to their e-ticket."""
    event = _public_event(code)
    person = remembered_person()
    if event.registration_mode != REG_ON:
        return redirect(url_for("checkin_public.self_check_in", code=event.code))
    existing = registration_for(event, person)
    fresh = bool(request.args.get("new"))
    if request.method == "GET" and existing is not None and existing.status != "cancelled" and not fresh:
        return redirect(url_for("checkin_public.view_ticket", token=existing.token))
    form = PersonForm.from_mapping(person) if request.method == "GET" and person and not fresh else PersonForm()
    errors: dict[str, str] = {}
    message = ""
    if request.method == "POST":
        if not request.form.get("consent"):
            errors["consent"] = "请阅读并同意信息使用说明"
        if form.validate() and not errors:
            details = form.details()
            try:
                reg = register(event, details, by=None)
            except OperationError as exc:
                db.session.rollback()
                message = exc.message
            else:
                db.session.commit()
                response = redirect(url_for("checkin_public.view_ticket", token=reg.token), code=303)
                remember(response, details)
                return no_store(response)
    opens, closes = registration_window(event)
    return page("checkin/register.html", event=event, consent_errors=errors, message=message,
                consent=CONSENT, existing=existing, opens=opens, closes=closes, stats=event_stats(event),
                **person_form_context(form))


@bp.route("/t/<token>")
def view_ticket(token: str) -> Response:
    """Show a worker's e-ticket: event details, status and the personal QR to show at the door."""
    reg = registration_by_token(token)
    if reg is None:
        return page("checkin/ticket_missing.html", status=404, event=None)
    record = existing_check_in(reg.event, reg.participant)
    url = ticket_url(reg)
    return page("checkin/ticket.html", event=reg.event, reg=reg, check_in=record, url=url,
                qr=qr_svg(url) if reg.status == "registered" else "", position=waitlist_position(reg))


@bp.route("/t/<token>.png")
def ticket_png(token: str) -> Response:
    """Send the e-ticket QR as a PNG the worker can save to the phone's album."""
    reg = registration_by_token(token)
    require(reg is not None and reg.status == "registered")
    assert reg is not None
    response = current_app.response_class(qr_png(ticket_url(reg), box_size=12), mimetype="image/png")
    response.headers["Content-Disposition"] = f'inline; filename="ticket-{reg.event.code}.png"'
    return no_store(response)


@bp.route("/t/<token>/cancel", methods=["POST"])
def cancel_registration_public(token: str) -> Response:
    """Cancel one's own registration from the ticket (the form asks to confirm first)."""
    reg = registration_by_token(token)
    require(reg is not None)
    assert reg is not None
    if request.form.get("confirm") != "yes":
        flash("请勾选确认后再取消报名。", "warning")
        return redirect(url_for("checkin_public.view_ticket", token=token))
    try:
        cancel_registration(reg, by=None)
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash("已取消报名。名额已释放给候补的职工。", "success")
    return redirect(url_for("checkin_public.view_ticket", token=token), code=303)


@bp.route("/c/<code>/checkout", methods=["POST"])
def self_check_out(code: str) -> Response:
    """Let a worker check out (签退), identified by the remembered cookie or their ticket token."""
    event = _public_event(code)
    reg = registration_by_token(request.form.get("token"))
    if reg is not None and reg.event_id == event.id:
        record = existing_check_in(event, reg.participant)
    else:
        record = remembered_check_in(event, remembered_person())
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
    return page("checkin/ticket_checkout.html", event=event, check_in=record, ok=ok, message=message)
