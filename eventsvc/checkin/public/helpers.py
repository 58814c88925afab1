"""What every worker page shares: the remembered-person cookie, no-store answers, events by public code."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, render_template, request
from sqlalchemy import select
from werkzeug.wrappers import Response

from eventsvc.checkin.forms import PersonForm
from eventsvc.checkin.models import CheckIn, Registration
from eventsvc.checkin.operations import GROUPS
from eventsvc.checkin.queries import existing_check_in, find_participant
from eventsvc.checkin.tokens import PERSON_COOKIE, dump_person, load_person
from eventsvc.events.models import Event
from eventsvc.events.queries import event_by_code
from eventsvc.extensions import db


def event_or_none(code: str) -> Event | None:
    """Find the event by its public code; codes are lowercase, but a typed one may not be."""
    return event_by_code(code) or (event_by_code(code.lower()) if code != code.lower() else None)


def remembered_person() -> dict[str, str] | None:
    """Return the details the signed cookie remembers, or None when absent or forged."""
    return load_person(request.cookies.get(PERSON_COOKIE))


def remember(response: Response, details: Mapping[str, str]) -> None:
    """Set or refresh the cookie that makes this worker's next check-in one tap."""
    days = int(current_app.config.get("PARTICIPANT_COOKIE_DAYS", 365))
    response.set_cookie(
        PERSON_COOKIE, dump_person(dict(details)), max_age=days * 86400, httponly=True, samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE", False)),
    )


def remembered_check_in(event: Event, person: Mapping[str, str] | None) -> CheckIn | None:
    """Return the remembered worker's check-in at this event, if any."""
    if not person:
        return None
    participant = find_participant(person.get("phone", ""))
    return existing_check_in(event, participant) if participant is not None else None


def registration_for(event: Event | None, person: Mapping[str, str] | None) -> Registration | None:
    """Return the remembered worker's registration at the event (for the public partials)."""
    if not person or event is None:
        return None
    participant = find_participant(person.get("phone", ""))
    if participant is None:
        return None
    return db.session.scalar(select(Registration).where(
        Registration.event_id == event.id, Registration.participant_id == participant.id))


def no_store(response: Response) -> Response:
    """Keep pages with personal details and form tokens out of shared caches and the back cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


def page(template: str, status: int = 200, **context: Any) -> Response:
    """Render a public page that no cache keeps."""
    return no_store(current_app.make_response((render_template(template, **context), status)))


def person_form_context(form: PersonForm) -> dict[str, Any]:
    """Return what the shared person-fields partial needs."""
    return {"form": form, "groups": GROUPS}
