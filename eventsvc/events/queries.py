"""Reads about events, limited to what a user may see."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select, text

from eventsvc.core.built import everywhere
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization, User


def events_in_scope(user: User) -> Select[Event]:
    """Select events organized within the user's scope."""
    return events_within(user.scope_path)


def events_within(scope_path: Any) -> Select[Event]:
    """Select events organized within a scope path ("" for everywhere, or a kept statement's parameter)."""
    stmt = select(Event).join(Event.organization)
    if not everywhere(scope_path):
        stmt = stmt.where(Organization.path.startswith(scope_path))
    return stmt


def event_by_code(code: str) -> Event | None:
    """Find an event by its public code (what the QR carries)."""
    if not code or len(code) > 16:
        return None
    return db.session.scalar(select(Event).where(Event.code == code))


def seat_holders(event: Event) -> list[str]:
    """Return the names of people holding a registered seat, in sign-up order (as given when registering).

    Raw SQL because events sits below checkin, which owns the registration model.
    """
    rows = db.session.execute(text(
        "SELECT CASE WHEN r.name_given != '' THEN r.name_given ELSE p.name END FROM registration r"
        " JOIN participant p ON p.id = r.participant_id WHERE r.event_id = :event_id AND r.status = 'registered'"
        " ORDER BY r.created_at, r.id"), {"event_id": event.id})
    return [row[0] for row in rows]


def over_capacity(event: Event, capacities: Sequence[int | None]) -> list[str]:
    """Return who would sit beyond the lowest new capacity (the latest sign-ups); empty if none would.

    `capacities` are the new venue capacity and registration quota; None means no limit.
    """
    limits = [c for c in capacities if c]
    if not limits:
        return []
    holders = seat_holders(event)
    return holders[min(limits):]
