"""Worker pages: scan the event's QR and check in, register ahead, show the e-ticket, check out.

Every answer to a worker is an ordinary page, because the reader is a worker on a cheap phone inside
WeChat's browser: refusals explain themselves instead of showing an error screen.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response

from eventsvc.checkin.event_cache import PhoneAtEvent
from eventsvc.checkin.forms import PersonForm
from eventsvc.checkin.links import ticket_url
from eventsvc.checkin.models import CheckIn, Registration
from eventsvc.checkin.operations import (
    CheckInRefused,
    CheckInResult,
    cancel_registration,
    check_in_typed,
    check_out,
    device_limit,
    ensure_open,
    pending_reason,
    person_at_event,
    person_from_row,
    register,
    validate_person,
)
from eventsvc.checkin.public.device import Device, current_device, remembered_device_id, request_source, save_device
from eventsvc.checkin.public.helpers import (
    blank_form_page,
    consent_label,
    event_and_person,
    event_or_none,
    no_store,
    own_check_in,
    page,
    person_form_context,
    privacy_notice,
    registration_for,
    registration_of_phone,
    remembered_check_in,
    start_verification,
)
from eventsvc.checkin.queries import (
    active_registration,
    event_stats,
    existing_check_in,
    find_participant,
    registration_by_token,
    registration_window,
    waitlist_position,
)
from eventsvc.checkin.tokens import (
    DynamicCodeRefused,
    answer_mark,
    form_token,
    form_token_ok,
    read_answer_mark,
    verify_dynamic_code,
)
from eventsvc.core.exceptions import OperationError
from eventsvc.core.permissions import require
from eventsvc.core.phones import InvalidPhone, normalize_phone
from eventsvc.core.qr import qr_png, qr_svg
from eventsvc.core.ratelimits import limit_public_checkin
from eventsvc.db import one_sqlite_writer
from eventsvc.events.models import CANCELLED, QR_DYNAMIC, REG_ON, Event
from eventsvc.extensions import csrf, db

bp = Blueprint("checkin_public", __name__)
bp.add_app_template_global(registration_for, "registration_for")
bp.after_request(save_device)

CONSENT_MISSING = "请阅读并同意个人信息使用说明（勾选上方方框）"
_DYNAMIC_KEY = "evs_dyn"  # session: the dynamic code this browser was shown while fresh, and grace used
# A dynamic code is only valid for about a minute, but typing a name and a phone on a cheap phone
# takes longer: a POST may carry a code up to this old if this same session opened it while fresh.
# The grace is per device and per code, and admits at most PENDING_DEVICE_LIMIT people.
_FORM_GRACE_SECONDS = 600
_GRACE_USED = "eventsvc.dynamic_grace_used"  # request.environ: this POST was admitted by the grace
_HEADINGS = {
    "not_open": "签到尚未开始", "closed": "签到已结束", "cancelled": "活动已取消", "not_published": "暂不能签到",
    "registration_required": "请先报名", "dynamic_missing": "请扫描现场二维码", "dynamic_expired": "二维码已过期",
    "dynamic_invalid": "二维码无效",
}


# -- self check-in ---------------------------------------------------------------------------


@bp.route("/c/<code>", methods=["GET", "POST"])
@csrf.exempt  # the form's token is bound to the device cookie instead (_check_form_token): no session
@limit_public_checkin(device_id=remembered_device_id)  # POSTs only; numbers and reasons in config.py
def self_check_in(code: str) -> Response:
    """Show the check-in form (or the one-tap form for a remembered worker) and record a check-in.

    The busiest page of all keeps no session: its form token comes from the device cookie, and the answer
    page finds the check-in by that cookie too, so a check-in signs and sends one cookie, not two.
    """
    if request.method == "POST":
        _check_form_token()
    # The event and, in the same read, what is known of the phone here: a repeat needs no other read.
    phone = _posted_phone() if request.method == "POST" else (current_device().person or {}).get("phone")
    event, here = event_and_person(code, phone)
    if event is None:
        return _not_found()
    if event.status == CANCELLED:  # 活动已取消 comes before anything about (dynamic) codes
        return _refused(event, CheckInRefused("本场活动已取消，不再签到。", code="cancelled"))
    token = request.values.get("t", "") if event.qr_mode == QR_DYNAMIC else ""
    device = current_device()
    try:
        _verify_dynamic(event, token, device)
    except DynamicCodeRefused as exc:
        return _refused(event, exc)
    if request.method == "GET":
        return _show_form_page(event, device, token, here)
    return _submit(event, device, token, here)


@bp.get("/c/<code>/done")
def show_check_in_result(code: str) -> Response:
    """Show the answer of the last submit (POST-redirect-GET, so a refresh never resubmits)."""
    person = current_device().person
    event, here = event_and_person(code, (person or {}).get("phone"))
    if event is None:
        return _not_found()
    # This phone's check-in here (the device cookie remembers the number last checked in with); the
    # URL's mark, signed for that check-in, says it was new and which number it drew.
    record = remembered_check_in(event, person, here)
    if record is None:
        return redirect(url_for("checkin_public.self_check_in", code=event.code))
    seq = read_answer_mark(record.id, request.args.get("n"))
    return _result(event, record, created=seq is not None, seq=seq or 0, here=here)


def _posted_phone() -> str | None:
    """The phone this POST will check in (the typed one, or the remembered one for the one-tap form),
    normalized as the form will; None if it does not normalize (the form then says why)."""
    raw = (current_device().person or {}).get("phone") if request.form.get("quick") == "1" else \
        request.form.get("phone")
    try:
        return normalize_phone(raw)
    except InvalidPhone:
        return None


def _check_form_token() -> None:
    """Refuse a check-in POST without this phone's form token (CSRF), as CSRFProtect refuses others."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    device_id = remembered_device_id()
    if device_id is None or not form_token_ok(device_id, request.form.get("csrf_token")):
        raise CSRFError("The check-in form token is missing or not this phone's.")


def _show_form_page(event: Event, device: Device, token: str, here: PhoneAtEvent | None) -> Response:
    """GET: a remembered worker already checked in sees that; a closed event says so; else the form."""
    person = device.person
    wants_form = bool(request.args.get("edit") or request.args.get("new"))
    if person is not None and not wants_form:
        existing = remembered_check_in(event, person, here)
        if existing is not None:
            return _result(event, existing, created=False, here=here)
    try:
        ensure_open(event)
    except CheckInRefused as exc:
        return _refused(event, exc)
    if person is not None and not wants_form:
        return _form(event, token, PersonForm.from_mapping(person), person=person, quick=True)
    if person is None and not token and not request.args and not _has_session():
        return blank_form_page(event, form_token(device.id), lambda slot: render_template(
            "checkin/public_form.html", **_form_context(event, "", PersonForm(), person=None, form_token=slot)))
    form = PersonForm.from_mapping(person) if person is not None and request.args.get("edit") else PersonForm()
    return _form(event, token, form, person=person)


def _has_session() -> bool:
    """Whether the phone sent a session cookie (which may carry a flashed message for the next page)."""
    return current_app.config["SESSION_COOKIE_NAME"] in request.cookies


def _submit(event: Event, device: Device, token: str, here: PhoneAtEvent | None = None) -> Response:
    """POST: validate; a registered phone this device cannot prove goes to the SMS step; else check in."""
    person = device.person
    quick = request.form.get("quick") == "1"
    if quick:
        # The one-tap form carries no details: they come only from the device cookie (consent given then).
        if person is None:
            return _form(event, token, PersonForm(formdata=None), person=None, message="请填写您的信息后签到。")
        form = PersonForm.from_mapping(person)
    else:
        form = PersonForm()
    consent_error = "" if quick or request.form.get("consent") else CONSENT_MISSING
    if not form.validate() or consent_error:
        return _form(event, token, form, person=person, consent_error=consent_error)
    details = form.details()
    registration: Registration | None = None
    if event.requires_registration:
        # Only a ticket this phone holds, or a code sent to the number, admits a registered person:
        # typing someone's number at the venue must not check them in (nor say who they are).
        known = find_participant(details["phone"])
        registration = active_registration(event, known) if known is not None else None
        if (known is not None and registration is not None and not device.holds(registration)
                and existing_check_in(event, known) is None):
            return start_verification(event, "checkin", details, token)
    return finish_check_in(event, details, device, registration=registration, form=form, token=token, here=here)


def finish_check_in(event: Event, details: dict[str, str], device: Device, *, registration: Registration | None,
                    form: PersonForm | None = None, token: str = "", verified: bool = False,
                    here: PhoneAtEvent | None = None) -> Response:
    """Upsert the participant, check in with this device as source, commit once, remember, redirect.

    `here`: the phone's row, read with the event (event_and_person): a repeat then takes no other read.
    """
    code = event.code  # read before the commit, which expires the event
    mark = ""  # a new check-in's signed ordinal, for the answer URL
    try:
        # One read answers a repeat, which writes nothing (not even the participant's blanks).
        if here is not None and here.phone == details["phone"]:
            known, existing_id = person_from_row(details["phone"], here.person)
        else:
            known, existing_id = person_at_event(event, details["phone"])
        if existing_id is None:
            ensure_open(event)  # refuse a closed event before writing anything
            source = request_source()
            # Before the first write; the device's count came with the event's read when there was one.
            already = here.device_people if here is not None else None
            source = replace(source, reason=pending_reason(event, source, already))
            with one_sqlite_writer(db.session):
                result = check_in_typed(event, validate_person(**details), known, registration=registration,
                                        source=source, absent=known is not None)
                if result.created:
                    mark = answer_mark(result.check_in_id, result.seq)
                db.session.commit()  # nothing is read back after it
    except OperationError as exc:
        db.session.rollback()  # a refused check-in stores nothing, not even the participant
        if form is not None and exc.field in form.FIELDS:
            form[exc.field].errors = [exc.message]
            return _form(event, token, form, person=device.person)
        return _refused(event, exc)
    if mark and request.environ.get(_GRACE_USED):
        _count_grace(event)
    # The answer page finds this check-in by the phone the device cookie remembers: a repeat from the
    # same phone changes nothing there, and its answer sets no cookie at all.
    device.remember(details, verified=verified)
    if registration is not None:
        device.add_ticket(registration)
    target = url_for("checkin_public.show_check_in_result", code=code, n=mark or None)
    return no_store(redirect(target, code=303))


def _verify_dynamic(event: Event, token: str, device: Device) -> None:
    """Raise DynamicCodeRefused unless a dynamic event's code is fresh (or was fresh for this form).

    The grace for a code that expired while the form was being filled holds only for the device that
    opened it while fresh, and for at most PENDING_DEVICE_LIMIT people: a fresh code copied into a
    script must not admit an unlimited number of invented people.
    """
    if event.qr_mode != QR_DYNAMIC:
        return
    if request.method == "GET":
        verify_dynamic_code(event.code, token)
        seen = session.get(_DYNAMIC_KEY)
        if not (isinstance(seen, list) and seen[:3] == [event.code, token, device.id]):
            session[_DYNAMIC_KEY] = [event.code, token, device.id, 0]
        return
    try:
        verify_dynamic_code(event.code, token)
    except DynamicCodeRefused as exc:
        seen = session.get(_DYNAMIC_KEY)
        if not (isinstance(seen, list) and len(seen) == 4 and seen[:3] == [event.code, token, device.id]):
            raise  # only the device that opened this code while fresh has a grace
        if exc.code != "dynamic_expired" or int(seen[3]) >= device_limit():
            raise
        valid = int(current_app.config.get("DYNAMIC_QR_VALID_SECONDS", 60))
        grace = int(current_app.config.get("DYNAMIC_QR_FORM_GRACE_SECONDS", _FORM_GRACE_SECONDS))
        verify_dynamic_code(event.code, token, max_age=valid + grace)
        request.environ[_GRACE_USED] = True


def _count_grace(event: Event) -> None:
    """Count one person admitted under the form grace of the code this device opened."""
    seen = session.get(_DYNAMIC_KEY)
    if isinstance(seen, list) and len(seen) == 4 and seen[0] == event.code:
        session[_DYNAMIC_KEY] = [*seen[:3], int(seen[3]) + 1]


def _form(event: Event, token: str, form: PersonForm, *, person: dict[str, str] | None, quick: bool = False,
          message: str = "", consent_error: str = "") -> Response:
    """Render the check-in form (full, or one tap for a remembered worker)."""
    return page("checkin/public_form.html", **_form_context(
        event, token, form, person=person, form_token=form_token(current_device().id), quick=quick,
        message=message, consent_error=consent_error))


def _form_context(event: Event, token: str, form: PersonForm, *, person: dict[str, str] | None, form_token: str,
                  quick: bool = False, message: str = "", consent_error: str = "") -> dict[str, Any]:
    return {"event": event, "token": token, "person": person, "quick": quick, "message": message,
            "form_token": form_token, "notice": privacy_notice(), "consent": consent_label(),
            "consent_error": consent_error, "link_args": {"t": token} if token else {}, **person_form_context(form)}


def _result(event: Event, record: CheckIn, created: bool, seq: int = 0, here: PhoneAtEvent | None = None) -> Response:
    """Render success (with the ordinal), "pending review" or "already checked in".

    The name shown is the one typed on this phone, never the stored one: whoever typed a number
    learns nothing about its owner.
    """
    person = current_device().person
    shown = person.get("name", "") if person and person.get("phone") == record.participant.phone else ""
    ordinal = CheckInResult(record, created=created, seq=seq).ordinal if created and not record.is_pending else None
    return page("checkin/public_result.html", event=event, check_in=record, created=created, ordinal=ordinal,
                shown_name=shown, can_add_other=event.qr_mode != QR_DYNAMIC,
                can_check_out=event.checkout_enabled and own_check_in(event, here) is not None)


def _refused(event: Event, exc: OperationError) -> Response:
    """Render why this event takes no check-in now, as an ordinary page."""
    return page("checkin/public_refused.html", event=event, message=exc.message, reason=exc.code,
                heading=_HEADINGS.get(exc.code, "暂不能签到"), person=current_device().person)


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
@limit_public_checkin(device_id=remembered_device_id)
def register_page(code: str) -> Response:
    """Let a worker register (details remembered on the phone) and send them to their e-ticket.

    A number that already has a registration here leads to its ticket only with proof (this phone
    holds the ticket, or an SMS code): otherwise typing a number would show someone else's ticket.
    """
    event = _public_event(code)
    device = current_device()
    person = device.person
    if event.registration_mode != REG_ON:
        return redirect(url_for("checkin_public.self_check_in", code=event.code))
    existing = registration_for(event)
    fresh = bool(request.args.get("new"))
    if request.method == "GET" and existing is not None and existing.status != "cancelled" and not fresh:
        return redirect(url_for("checkin_public.view_ticket", token=existing.token))
    form = PersonForm.from_mapping(person) if request.method == "GET" and person and not fresh else PersonForm()
    errors: dict[str, str] = {}
    message = ""
    if request.method == "POST":
        if not request.form.get("consent"):
            errors["consent"] = CONSENT_MISSING
        if form.validate() and not errors:
            details = form.details()
            prior = registration_of_phone(event, details["phone"])
            if prior is not None and not device.holds(prior):
                return start_verification(event, "show_ticket", details)
            try:
                reg = register(event, details, by=None)
            except OperationError as exc:
                db.session.rollback()
                message = exc.message
            else:
                db.session.commit()
                device.remember(details)
                device.add_ticket(reg)
                return no_store(redirect(url_for("checkin_public.view_ticket", token=reg.token), code=303))
    opens, closes = registration_window(event)
    return page("checkin/register.html", event=event, consent_errors=errors, message=message,
                notice=privacy_notice(), consent=consent_label(), existing=existing, opens=opens, closes=closes,
                stats=event_stats(event), **person_form_context(form))


@bp.route("/t/<token>")
def view_ticket(token: str) -> Response:
    """Show a worker's e-ticket: event details, status and the personal QR to show at the door.

    The link is the proof: this phone now holds the ticket (one-tap check-in at the venue). It shows
    the details given when registering, not the participant's stored ones.
    """
    reg = registration_by_token(token)
    if reg is None:
        return page("checkin/ticket_missing.html", status=404, event=None)
    current_device().add_ticket(reg)
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
    """Cancel one's own registration from the ticket (the link is the proof; the form asks to confirm)."""
    reg = registration_by_token(token)
    require(reg is not None)
    assert reg is not None
    if request.form.get("confirm") != "yes":
        flash("请勾选确认后再取消报名。", "warning")
        return redirect(url_for("checkin_public.view_ticket", token=token))
    try:
        cancel_registration(reg, by=None, device_hash=current_device().hash)
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash("已取消报名。名额已释放给候补的职工。", "success")
    return redirect(url_for("checkin_public.view_ticket", token=token), code=303)


@bp.route("/c/<code>/checkout", methods=["POST"])
def self_check_out(code: str) -> Response:
    """Let a worker check out (签退), identified by their ticket or a check-in this phone made."""
    event = _public_event(code)
    reg = registration_by_token(request.form.get("token"))
    if reg is not None and reg.event_id == event.id:
        record = existing_check_in(event, reg.participant)
    else:
        record = own_check_in(event)
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
