"""Reads about events, limited to what a user may see."""
from __future__ import annotations

from sqlalchemy import Select, select

from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization, User


def events_in_scope(user: User) -> Select[Event]:
    """Select events organized within the user's scope."""
    stmt = select(Event).join(Event.organization)
    if user.scope_path:
        stmt = stmt.where(Organization.path.startswith(user.scope_path))
    return stmt


def event_by_code(code: str) -> Event | None:
    """Find an event by its public code (what the QR carries)."""
    if not code or len(code) > 16:
        return None
    return db.session.scalar(select(Event).where(Event.code == code))
