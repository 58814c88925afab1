"""Events by public code for the workers' pages, from a small per-process cache.

Every phone at a venue asks for the same event. Building it from its row through the ORM on each
request costs more than the check-in INSERTs, so each process keeps a detached copy per code and
checks it with the cheapest read there is: the row's `updated_at` (every ORM change to an event sets
it, in whichever process), fetched as the driver gives it (~50 µs against ~400 µs for the ORM
select). The organizer comes with it (every worker page names the 主办 unit), so the stamp is both rows'
`updated_at`. A stamp that differs, or an unknown code, loads the row again (core/stamped_cache.py).
"""
from __future__ import annotations

from typing import Any, NamedTuple

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


# The stamp and, in the same read, the person with a phone, their check-in at the event and how many people
# the device checked in there: a repeat check-in, or the answer page, is this one read; a first check-in
# reads nothing else before it writes.
_STAMP_AND_PERSON = (
    "SELECT e.id, e.updated_at, o.updated_at, p.id, p.name, p.workplace, p.group_label, p.first_organization_id,"
    " c.id, c.checked_in_at, c.status, c.checked_out_at, c.device_hash, c.registration_id,"
    " (SELECT COUNT(DISTINCT d.participant_id) FROM check_in d WHERE d.event_id = e.id AND d.device_hash = :device)"
    " FROM event e JOIN organization o ON o.id = e.organization_id"
    " LEFT JOIN participant p ON p.phone = :phone"
    " LEFT JOIN check_in c ON c.participant_id = p.id AND c.event_id = e.id WHERE e.code = :code")


class PhoneAtEvent(NamedTuple):
    """What that read says of a phone at the event, in the shapes of the reads it stands in for."""

    phone: str
    person: tuple[Any, ...]  # checkins.person_at_event's columns (its first is None: nobody has this phone)
    check_in: tuple[Any, ...] | None  # public.helpers.remembered_check_in's columns; None: no check-in here
    device_people: int  # review.people_from_device


def cached_event_with_person(code: str, phone: str, device_hash: str) -> tuple[Event | None, PhoneAtEvent | None]:
    """Return the event by code (as cached_event_by_code) and, from the same read, `phone` there."""
    if not code or len(code) > 16:
        return None, None
    row = driver_sql.read(db.session.connection(), _STAMP_AND_PERSON,
                          {"code": code, "phone": phone, "device": device_hash}).first()
    stamp = tuple(row[:3]) if row is not None else None
    event = _cache.lookup(db.session, code, stamp, lambda: event_by_code(code), "organization")
    if event is None or row is None:
        return event, None
    check_in = (row[8], row[3], *row[9:14]) if row[8] is not None else None
    return event, PhoneAtEvent(phone, tuple(row[3:9]), check_in, int(row[14] or 0))


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
