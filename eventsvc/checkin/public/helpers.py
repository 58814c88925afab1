"""What every worker page shares: the device's remembered details, no-store answers, events by public code."""
from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Callable, Mapping
from threading import Lock
from typing import Any

from flask import current_app, redirect, render_template, request, session, url_for
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from werkzeug.wrappers import Response

from eventsvc.checkin.event_cache import PhoneAtEvent, cached_event_by_code, cached_event_with_person
from eventsvc.checkin.forms import PersonForm
from eventsvc.checkin.models import CheckIn, Participant, Registration
from eventsvc.checkin.operations import GROUPS
from eventsvc.checkin.public.device import current_device
from eventsvc.checkin.queries import find_participant
from eventsvc.checkin.tokens import seal, unseal
from eventsvc.core import driver_sql
from eventsvc.db import attach_as_loaded, loaded
from eventsvc.events.models import Event
from eventsvc.extensions import db


def _codes(code: str) -> dict[str, None]:
    """The codes to try, in order: codes are lowercase, a typed one may not be."""
    return dict.fromkeys((code, code.lower()))


def event_or_none(code: str) -> Event | None:
    """Find the event by its public code (per-process cache)."""
    return next((event for c in _codes(code) if (event := cached_event_by_code(c)) is not None), None)


def event_and_person(code: str, phone: str | None) -> tuple[Event | None, PhoneAtEvent | None]:
    """Find the event as event_or_none does and, in the same read, what is known of `phone` there (valid for
    this request only)."""
    if not phone:
        return event_or_none(code), None
    for candidate in _codes(code):
        event, here = cached_event_with_person(candidate, phone, current_device().hash)
        if event is not None:
            return event, here
    return None, None


def remembered_person() -> dict[str, str] | None:
    """Return the details last typed on this phone (the device cookie), or None."""
    return current_device().person


# This phone's check-in at an event, with what its pages show: one driver read, not two ORM loads.
_REMEMBERED = ("SELECT c.id, c.participant_id, c.checked_in_at, c.status, c.checked_out_at, c.device_hash,"
               " c.registration_id FROM participant p JOIN check_in c ON c.participant_id = p.id"
               " AND c.event_id = :event WHERE p.phone = :phone")


def remembered_check_in(event: Event, person: Mapping[str, str] | None,
                        here: PhoneAtEvent | None = None) -> CheckIn | None:
    """Return the check-in at this event of the phone number the device remembers, if any.

    Only the columns the workers' pages use are set (the rest load if touched, as on any expired object).
    `here`: this phone at the event, read with the event (event_and_person); else one read here.
    """
    phone = (person or {}).get("phone", "")
    if not phone:
        return None
    session = db.session
    if here is not None and here.phone == phone:
        row = here.check_in
    else:
        row = driver_sql.read(session.connection(), _REMEMBERED, {"event": event.id, "phone": phone}).first()
    if row is None:
        return None
    found = session.identity_map.get(identity_key(CheckIn, row[0]))
    if found is not None:
        return found
    participant = loaded(session, Participant, row[1], lambda: Participant(id=row[1], phone=phone))
    record = CheckIn(id=row[0], event_id=event.id, participant_id=row[1],
                     checked_in_at=driver_sql.as_datetime(row[2]), status=row[3],
                     checked_out_at=driver_sql.as_datetime(row[4]), device_hash=row[5], registration_id=row[6])
    attach_as_loaded(session, record)
    set_committed_value(record, "participant", participant)
    return record


def own_check_in(event: Event, here: PhoneAtEvent | None = None) -> CheckIn | None:
    """Return the remembered check-in only if this phone may act on it (check out, see it).

    It must have been made from this device, or the device proved the phone (SMS code) or holds the
    ticket it was made with: a cookie that merely remembers a typed number is not enough.
    """
    device = current_device()
    record = remembered_check_in(event, device.person, here)
    if record is None:
        return None
    if record.device_hash == device.hash or device.proves_phone(record.participant.phone):
        return record
    return record if record.registration_id is not None and record.registration_id in device.tickets else None


def registration_for(event: Event | None, person: Mapping[str, str] | None = None) -> Registration | None:
    """Return the registration at the event whose ticket this phone holds (for the public partials).

    `person` is accepted for the templates' sake; what decides is the device's proof, never a number.
    """
    if event is None:
        return None
    device = current_device()
    phone = (person or device.person or {}).get("phone", "")
    participant = find_participant(phone) if phone else None
    if participant is None:
        return None
    reg = db.session.scalar(select(Registration).where(
        Registration.event_id == event.id, Registration.participant_id == participant.id))
    return reg if reg is not None and device.holds(reg) else None


def registration_of_phone(event: Event, phone: str) -> Registration | None:
    """Return the registration of this phone number at the event, whoever holds it (no proof)."""
    participant = find_participant(phone)
    if participant is None:
        return None
    return db.session.scalar(select(Registration).where(
        Registration.event_id == event.id, Registration.participant_id == participant.id))


# The session entry that carries a pending phone verification to the SMS step: sealed, because it
# holds the typed number (the session cookie is signed, not encrypted).
PENDING_VERIFICATION_KEY = "evs_vfy"
PENDING_VERIFICATION_SECONDS = 1800


def start_verification(event: Event, purpose: str, details: Mapping[str, str], token: str = "") -> Response:
    """Keep what was submitted and send the phone to the SMS-code step for `purpose`."""
    session[PENDING_VERIFICATION_KEY] = seal({"c": event.code, "u": purpose, "d": dict(details), "t": token})
    return no_store(redirect(url_for("checkin_verify.verify_phone", code=event.code), code=303))


def pending_verification(event: Event) -> dict[str, Any] | None:
    """Return the pending verification for this event ({u: purpose, d: details, t: token}), or None."""
    data = unseal(session.get(PENDING_VERIFICATION_KEY), max_age=PENDING_VERIFICATION_SECONDS)
    if data is None or data.get("c") != event.code or not isinstance(data.get("d"), dict):
        return None
    if not data["d"].get("phone"):
        return None
    return data


def privacy_notice() -> str:
    """The configurable statement: who holds the data, what for, how long, whom to contact."""
    return str(current_app.config.get("PRIVACY_NOTICE") or "")


def consent_label() -> str:
    return str(current_app.config.get("PRIVACY_CONSENT_LABEL") or "我已阅读并同意上述个人信息使用说明")


def no_store(response: Response) -> Response:
    """Keep pages with personal details and form tokens out of shared caches and the back cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


def page(template: str, status: int = 200, **context: Any) -> Response:
    """Render a public page that no cache keeps."""
    return no_store(current_app.make_response((render_template(template, **context), status)))


# The empty check-in form is the page every new phone at a venue opens, and the same for all of them but for
# its form token: each process renders it once per state of the event (the event cache's stamp: both rows'
# updated_at) and pastes each phone's token into the copy. The slot is random per process, so no value typed
# into an event's fields can imitate it.
_BLANK_FORMS: OrderedDict[tuple[Any, ...], str] = OrderedDict()
_BLANK_FORMS_MAX = 256
_BLANK_LOCK = Lock()
_TOKEN_SLOT = "form-token-" + secrets.token_hex(16)


def blank_form_page(event: Event, form_token: str, render: Callable[[str], str]) -> Response:
    """The empty check-in form with this phone's `form_token`; `render(slot)` renders it with the slot as token.

    Only for a phone the page greets as new (no remembered details, no session and so no flashed message, no
    query arguments): everything else on the page then comes from the event, its organizer and settings.
    """
    key = (event.id, event.updated_at, event.organization.updated_at, privacy_notice(), consent_label(),
           request.script_root)  # links on the page carry the prefix a proxy may give
    html = _BLANK_FORMS.get(key)
    if html is None:
        html = render(_TOKEN_SLOT)
        with _BLANK_LOCK:
            _BLANK_FORMS[key] = html
            while len(_BLANK_FORMS) > _BLANK_FORMS_MAX:
                _BLANK_FORMS.popitem(last=False)
    return no_store(current_app.make_response(html.replace(_TOKEN_SLOT, form_token)))


def forget_blank_forms() -> None:
    """Empty the blank-form cache (tests)."""
    with _BLANK_LOCK:
        _BLANK_FORMS.clear()


def person_form_context(form: PersonForm) -> dict[str, Any]:
    """Return what the shared person-fields partial needs."""
    return {"form": form, "groups": GROUPS}
