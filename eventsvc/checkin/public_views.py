"""Public self check-in: a worker scans the event's QR code with a phone and checks in, no account needed.

Every answer is an ordinary page (200), because the reader is a worker on a cheap phone inside
WeChat's browser: refusals explain themselves instead of showing an error screen.
"""
from __future__ import annotations

from typing import Any, Optional

from flask import current_app, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from eventsvc.checkin.models import SELF_SCAN, CheckIn
from eventsvc.checkin.operations import (
    GROUPS,
    CheckInRefused,
    CheckInResult,
    check_in,
    ensure_open,
    upsert_participant,
    validate_person,
)
from eventsvc.checkin.queries import existing_check_in, find_participant
from eventsvc.checkin.tokens import (
    DynamicCodeRefused,
    dump_person,
    load_person,
    verify_dynamic_code,
)
from eventsvc.checkin.views import bp
from eventsvc.core.exceptions import OperationError
from eventsvc.core.phones import InvalidPhone, normalize_phone
from eventsvc.events.models import QR_DYNAMIC, Event
from eventsvc.events.queries import event_by_code
from eventsvc.extensions import db

PERSON_COOKIE = "evs_person"
PRIVACY_NOTICE = "您填写的信息仅用于本次活动签到统计和工会服务，不会向第三方提供。"
FIELDS = ("name", "phone", "workplace", "group")
_DONE_KEY = "evs_done"  # session: the check-in the /done page shows after the redirect
_DYNAMIC_KEY = "evs_dyn"  # session: the dynamic code this browser was shown while it was fresh
# A dynamic code is only valid for about a minute, but typing a name and a phone on a cheap phone
# takes longer: a POST may carry a code up to this old if this same session opened it while fresh.
_FORM_GRACE_SECONDS = 600


@bp.route("/c/<code>", methods=["GET", "POST"])
def self_check_in(code: str) -> Response:
    """Show the check-in form (or the one-tap form for a remembered worker) and record a check-in."""
    event = _event_or_none(code)
    if event is None:
        return _not_found()
    token = request.values.get("t", "") if event.qr_mode == QR_DYNAMIC else ""
    try:
        _verify_dynamic(event, token)
    except DynamicCodeRefused as exc:
        return _refused(event, exc)
    person = _remembered_person()
    if request.method == "GET":
        return _show_form_page(event, person, token)
    return _submit(event, person, token)


@bp.get("/c/<code>/done")
def show_check_in_result(code: str) -> Response:
    """Show the answer of the last submit (POST-redirect-GET, so a refresh never resubmits)."""
    event = _event_or_none(code)
    if event is None:
        return _not_found()
    record: Optional[CheckIn] = None
    created = False
    done = session.get(_DONE_KEY)
    if isinstance(done, dict) and done.get("c") == event.code and isinstance(done.get("i"), int):
        record = db.session.get(CheckIn, done["i"])
        created = bool(done.get("n"))
    if record is None or record.event_id != event.id:
        record, created = _remembered_check_in(event, _remembered_person()), False
    if record is None:
        return redirect(url_for("checkin.self_check_in", code=event.code))
    return _result(event, record, created)


# -- steps -----------------------------------------------------------------------------------


def _show_form_page(event: Event, person: Optional[dict[str, str]], token: str) -> Response:
    """GET: a remembered worker already checked in sees that; a closed event says so; else the form."""
    wants_form = bool(request.args.get("edit") or request.args.get("new"))
    if person is not None and not wants_form:
        existing = _remembered_check_in(event, person)
        if existing is not None:
            return _result(event, existing, created=False)
    try:
        ensure_open(event)
    except CheckInRefused as exc:
        return _refused(event, exc)
    if person is not None and not wants_form:
        return _form(event, token, person=person, quick=True)
    values = person if person is not None and request.args.get("edit") else {}
    return _form(event, token, person=person, values=values)


def _submit(event: Event, person: Optional[dict[str, str]], token: str) -> Response:
    """POST: validate, upsert the participant, check in, commit once, remember the worker, redirect."""
    quick = request.form.get("quick") == "1"
    if quick:
        # The one-tap form carries no details: the phone comes only from the signed cookie.
        if person is None:
            return _form(event, token, person=None, message="请填写您的信息后签到。")
        raw = {k: person.get(k, "") for k in FIELDS}
    else:
        raw = {k: request.form.get(k, "") for k in FIELDS}
    details, errors = _clean_details(raw)
    if details is None:
        return _form(event, token, person=person, values=raw, errors=errors)
    try:
        known = find_participant(details["phone"])
        if known is None or existing_check_in(event, known) is None:
            # Refuse a closed event before writing: a repeat still answers "already", nothing is stored.
            ensure_open(event)
        participant = upsert_participant(**details, by=None)
        result = check_in(event, participant, by=None, method=SELF_SCAN)
    except OperationError as exc:
        db.session.rollback()  # a refused check-in stores nothing, not even the participant
        if exc.field:
            return _form(event, token, person=person, values=raw, errors={exc.field: exc.message})
        return _refused(event, exc)
    db.session.commit()
    session[_DONE_KEY] = {"c": event.code, "i": result.check_in.id, "n": result.created}
    response = redirect(url_for("checkin.show_check_in_result", code=event.code), code=303)
    _remember(response, details)
    return _no_store(response)


def _clean_details(raw: dict[str, str]) -> tuple[Optional[dict[str, str]], dict[str, str]]:
    """Return (cleaned details, {}) or (None, every field's message), so one pass fixes the form."""
    try:
        return validate_person(**raw), {}
    except OperationError as exc:
        errors = {exc.field or "name": exc.message}
    if "phone" not in errors:
        try:
            normalize_phone(raw.get("phone"))
        except InvalidPhone as exc:
            errors["phone"] = str(exc)
    return None, errors


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


# -- helpers ---------------------------------------------------------------------------------


def _event_or_none(code: str) -> Optional[Event]:
    """Find the event by its public code; codes are lowercase, but a typed one may not be."""
    return event_by_code(code) or (event_by_code(code.lower()) if code != code.lower() else None)


def _remembered_person() -> Optional[dict[str, str]]:
    """Return the details the signed cookie remembers, or None when absent or forged."""
    return load_person(request.cookies.get(PERSON_COOKIE))


def _remembered_check_in(event: Event, person: Optional[dict[str, str]]) -> Optional[CheckIn]:
    """Return the remembered worker's check-in at this event, if any."""
    if person is None:
        return None
    participant = find_participant(person.get("phone", ""))
    return existing_check_in(event, participant) if participant is not None else None


def _remember(response: Response, details: dict[str, str]) -> None:
    """Set or refresh the cookie that makes this worker's next check-in one tap."""
    days = int(current_app.config.get("PARTICIPANT_COOKIE_DAYS", 365))
    response.set_cookie(
        PERSON_COOKIE, dump_person(details), max_age=days * 86400, httponly=True, samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE", False)),
    )


def _no_store(response: Response) -> Response:
    """Keep pages with personal details and form tokens out of shared caches and the back cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(template: str, status: int = 200, **context: Any) -> Response:
    """Render a public page that no cache keeps."""
    response = current_app.make_response((render_template(template, **context), status))
    return _no_store(response)


def _form(event: Event, token: str, *, person: Optional[dict[str, str]], quick: bool = False,
          values: Optional[dict[str, str]] = None, errors: Optional[dict[str, str]] = None,
          message: str = "") -> Response:
    """Render the check-in form (full, or one tap for a remembered worker)."""
    return _page(
        "checkin/public_form.html", event=event, token=token, person=person, quick=quick,
        values=values or {}, errors=errors or {}, message=message, groups=GROUPS, notice=PRIVACY_NOTICE,
        link_args={"t": token} if token else {},
    )


def _result(event: Event, record: CheckIn, created: bool) -> Response:
    """Render success (with the ordinal) or "already checked in"."""
    ordinal = CheckInResult(record, created=created).ordinal if created else None
    return _page("checkin/public_result.html", event=event, check_in=record, created=created, ordinal=ordinal,
                 can_add_other=event.qr_mode != QR_DYNAMIC)


_HEADINGS = {
    "not_open": "签到尚未开始", "closed": "签到已结束", "cancelled": "活动已取消", "not_published": "暂不能签到",
    "registration_required": "请先报名", "dynamic_missing": "请扫描现场二维码", "dynamic_expired": "二维码已过期",
    "dynamic_invalid": "二维码无效",
}


def _refused(event: Event, exc: OperationError) -> Response:
    """Render why this event takes no check-in now, as an ordinary page."""
    return _page("checkin/public_refused.html", event=event, message=exc.message, reason=exc.code,
                 heading=_HEADINGS.get(exc.code, "暂不能签到"), person=_remembered_person())


def _not_found() -> Response:
    """Render the friendly 404 for an unknown event code."""
    return _page("checkin/public_not_found.html", status=404, event=None)
