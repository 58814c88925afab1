"""Events by public code for the workers' pages, from a small per-process cache.

Every phone at a venue asks for the same event. Building it from its row through the ORM on each
request costs more than the check-in INSERTs, so each process keeps a detached copy per code and
checks it with the cheapest read there is: the row's `updated_at` (every ORM change to an event sets
it, in whichever process), fetched as the driver gives it (~50 µs against ~400 µs for the ORM
select). The organizer comes with it (every worker page names the 主办 unit), so the stamp is both rows'
`updated_at`. A stamp that differs, or an unknown code, loads the row again (core/stamped_cache.py).
"""
from __future__ import annotations

from typing import Any

from eventsvc.core import driver_sql
from eventsvc.core.stamped_cache import StampedCache
from eventsvc.events.models import Event
from eventsvc.events.queries import event_by_code
from eventsvc.extensions import db

MAX_EVENTS = 512  # a district runs a few dozen events a day; the least recently used go first

_cache: StampedCache[Event] = StampedCache(MAX_EVENTS)  # code -> detached copy, with its organizer


_STAMP = ("SELECT e.id, e.updated_at, o.updated_at FROM event e JOIN organization o ON o.id = e.organization_id"
          " WHERE e.code = :code")


def _stamp(code: str) -> Any:
    """Return the event's id and both rows' updated_at as the driver gives them, or None; no ORM."""
    row = driver_sql.read(db.session.connection(), _STAMP, {"code": code}).first()
    return tuple(row) if row is not None else None


def cached_event_by_code(code: str) -> Event | None:
    """Return the event with this public code, as event_by_code does, reading one stamp when cached."""
    if not code or len(code) > 16:
        return None
    return _cache.lookup(db.session, code, _stamp(code), lambda: event_by_code(code), "organization")


# The stamp and, in the same read, the person with a phone and their check-in at the event. After the
# stamp's three columns: p.id, name, workplace, group_label, first_organization_id (checkins.person_from_row),
# then the check-in's id, checked_in_at, status, checked_out_at, device_hash, registration_id
# (public.helpers.remembered_check_in), then how many people this device checked in here
# (review.people_from_device). A repeat check-in, or the answer page, is then this one read; a first
# check-in reads nothing else before it writes.
_STAMP_AND_PERSON = (
    "SELECT e.id, e.updated_at, o.updated_at, p.id, p.name, p.workplace, p.group_label, p.first_organization_id,"
    " c.id, c.checked_in_at, c.status, c.checked_out_at, c.device_hash, c.registration_id,"
    " (SELECT COUNT(DISTINCT d.participant_id) FROM check_in d WHERE d.event_id = e.id AND d.device_hash = :device)"
    " FROM event e JOIN organization o ON o.id = e.organization_id"
    " LEFT JOIN participant p ON p.phone = :phone"
    " LEFT JOIN check_in c ON c.participant_id = p.id AND c.event_id = e.id WHERE e.code = :code")


def cached_event_with_person(code: str, phone: str, device_hash: str) -> tuple[Event | None, tuple[Any, ...] | None]:
    """Return the event by code (as cached_event_by_code) and the row of `phone` there (columns above).

    The row is None when the event is unknown; its first column is None when nobody has this phone.
    """
    if not code or len(code) > 16:
        return None, None
    row = driver_sql.read(db.session.connection(), _STAMP_AND_PERSON,
                         {"code": code, "phone": phone, "device": device_hash}).first()
    stamp = tuple(row[:3]) if row is not None else None
    event = _cache.lookup(db.session, code, stamp, lambda: event_by_code(code), "organization")
    return event, (tuple(row[3:]) if event is not None and row is not None else None)


_BY_ID = ("SELECT e.updated_at, o.updated_at FROM event e JOIN organization o ON o.id = e.organization_id"
          " WHERE e.id = :id")


def cached_event(event_id: int) -> Event | None:
    """Return the event with this id (the door staff's scanner asks for it with every scan), as above."""
    row = driver_sql.read(db.session.connection(), _BY_ID, {"id": event_id}).first()
    return _cache.lookup(db.session, ("id", event_id), tuple(row) if row is not None else None,
                         lambda: db.session.get(Event, event_id), "organization")


def forget_cached_events() -> None:
    """Empty the cache (tests; a restore)."""
    _cache.forget()
