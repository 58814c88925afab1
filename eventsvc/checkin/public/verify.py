"""The SMS-code step: prove a phone number before seeing its ticket or checking in its registration.

A worker reaches it from the check-in or registration form when the number they typed already has a
registration this phone does not hold. The number travels sealed in the session (never in a URL or a
readable cookie); codes come from core.verification (6 digits, 5 minutes, 5 tries, resend after 60 s),
limited per IP by the view decorator and per number by `consume`. With the console backend (development)
the page shows the code under 开发模式; production refuses that backend.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, session, url_for
from werkzeug.wrappers import Response

from eventsvc.checkin.public.device import current_device, save_device
from eventsvc.checkin.public.helpers import (
    PENDING_VERIFICATION_KEY,
    event_or_none,
    no_store,
    page,
    pending_verification,
    registration_of_phone,
)
from eventsvc.checkin.public.views import finish_check_in
from eventsvc.checkin.queries import active_registration, find_participant
from eventsvc.core import verification
from eventsvc.core.permissions import require
from eventsvc.core.phones import mask_phone
from eventsvc.core.ratelimits import client_ip, consume, sms_ip_limit
from eventsvc.events.models import Event
from eventsvc.extensions import db

bp = Blueprint("checkin_verify", __name__)
bp.after_request(save_device)

PURPOSES = {
    "checkin": ("签到", "该手机号已报名本场活动。请验证手机号后签到，或打开您的报名电子票扫码入场。"),
    "show_ticket": ("查看报名电子票", "该手机号已报名本场活动。为保护个人信息，请验证手机号后查看电子票。"),
}


def _event_and_pending(code: str) -> tuple[Event, dict[str, Any] | None]:
    event = event_or_none(code)
    require(event is not None)
    assert event is not None
    data = pending_verification(event)
    return event, data if data is not None and data.get("u") in PURPOSES else None


def _back(event: Event) -> Response:
    """Nothing is pending (expired, or another tab finished it): back to the event's form."""
    flash("验证已失效，请重新提交。", "warning")
    return redirect(url_for("checkin_public.self_check_in", code=event.code))


@bp.get("/c/<code>/verify")
def verify_phone(code: str) -> Response:
    """Show the verification step: masked number, send/resend, the code field."""
    event, pending = _event_and_pending(code)
    if pending is None:
        return _back(event)
    return _page(event, pending)


def _page(event: Event, pending: dict[str, Any], error: str = "", status: int = 200) -> Response:
    phone = pending["d"]["phone"]
    purpose = pending["u"]
    latest = verification.latest(phone, purpose)
    active = latest is not None and latest.consumed_at is None and latest.attempts < verification.MAX_ATTEMPTS
    label, why = PURPOSES[purpose]
    return page("checkin/public_verify.html", status=status, event=event, purpose_label=label, why=why,
                masked=mask_phone(phone), sent=active, error=error,
                wait=verification.seconds_until_resend(latest), dev_code=verification.development_code(phone),
                tries_left=verification.tries_left(latest) if latest is not None else verification.MAX_ATTEMPTS)


@bp.post("/c/<code>/verify/send")
@sms_ip_limit
def send_code(code: str) -> Response:
    """Send a code to the pending number (not more than once a minute; limits per number and IP)."""
    event, pending = _event_and_pending(code)
    if pending is None:
        return _back(event)
    phone = pending["d"]["phone"]
    if not consume("RATELIMIT_SMS_PER_PHONE", "sms-phone", phone):
        flash("该手机号获取验证码太频繁，请稍后再试。", "error")
        return no_store(redirect(url_for("checkin_verify.verify_phone", code=event.code), code=303))
    _sent, outcome = verification.start(phone, pending["u"], ip=client_ip())
    db.session.commit()
    flash(verification.MESSAGES[outcome], "success" if outcome == verification.StartOutcome.SENT else "warning")
    return no_store(redirect(url_for("checkin_verify.verify_phone", code=event.code), code=303))


@bp.post("/c/<code>/verify")
def check_code(code: str) -> Response:
    """Check the typed code; on success finish what was asked (check in, or show the ticket)."""
    event, pending = _event_and_pending(code)
    if pending is None:
        return _back(event)
    details: dict[str, str] = {k: str(v) for k, v in pending["d"].items()}
    outcome = verification.check(details["phone"], pending["u"], request.form.get("code", ""))
    db.session.commit()  # a wrong try is counted even though nothing else happens
    if outcome != verification.CheckOutcome.OK:
        return _page(event, pending, error=verification.MESSAGES[outcome], status=400)
    session.pop(PENDING_VERIFICATION_KEY, None)
    device = current_device()
    if pending["u"] == "checkin":
        known = find_participant(details["phone"])
        reg = active_registration(event, known) if known is not None else None
        return finish_check_in(event, details, device, registration=reg, token=str(pending.get("t") or ""),
                               verified=True)
    device.remember(details, verified=True)
    reg = registration_of_phone(event, details["phone"])
    if reg is None:
        return redirect(url_for("checkin_public.register", code=event.code))
    device.add_ticket(reg)
    return no_store(redirect(url_for("checkin_public.view_ticket", token=reg.token), code=303))
