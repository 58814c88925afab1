"""Per-person attendance across a series' sessions, completion at its threshold, and certificate tokens.

events/ must not import checkin (checkin imports events), so the check-ins are read with plain SQL on
their table, as events/views.py does for its counts. A session counts once it is published (not a draft,
not cancelled); a check-in counts unless it waits for review (待核实).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import bindparam, text

from eventsvc.events.models import PUBLISHED, Event
from eventsvc.events.series_models import Series
from eventsvc.extensions import db

_CERT_SALT = "eventsvc.series-certificate"
_ATTENDANCE_SQL = text(
    "SELECT c.participant_id, c.event_id, p.name, p.phone, p.workplace FROM check_in c "
    "JOIN participant p ON p.id = c.participant_id WHERE c.event_id IN :ids AND c.status <> 'pending'"
).bindparams(bindparam("ids", expanding=True))


@dataclass
class PersonAttendance:
    participant_id: int
    name: str
    phone: str
    workplace: str
    attended: set[int] = field(default_factory=set)  # event ids
    percent: float = 0.0
    completed: bool = False


@dataclass
class SeriesAttendance:
    series: Series
    sessions: list[Event]  # the sessions that count (published), in time order
    people: list[PersonAttendance]

    @property
    def completed(self) -> list[PersonAttendance]:
        return [p for p in self.people if p.completed]


def counted_sessions(series: Series) -> list[Event]:
    """Return the sessions that count toward completion: published ones (drafts and cancelled do not)."""
    return [e for e in series.events if e.status == PUBLISHED]


def series_attendance(series: Series) -> SeriesAttendance:
    """Return each person's attended sessions and completion (attended / sessions >= threshold %)."""
    sessions = counted_sessions(series)
    people: dict[int, PersonAttendance] = {}
    attended: dict[int, set[int]] = defaultdict(set)
    if sessions:
        for pid, eid, name, phone, workplace in db.session.execute(_ATTENDANCE_SQL, {"ids": [e.id for e in sessions]}):
            people.setdefault(pid, PersonAttendance(pid, name, phone, workplace or ""))
            attended[pid].add(eid)
    total = len(sessions)
    for pid, person in people.items():
        person.attended = attended[pid]
        person.percent = round(100.0 * len(person.attended) / total, 1) if total else 0.0
        # Integer comparison: 4 of 5 at 80 % completes, with no float rounding at the edge.
        person.completed = total > 0 and len(person.attended) * 100 >= series.threshold_percent * total
    ordered = sorted(people.values(), key=lambda p: (-len(p.attended), p.name, p.participant_id))
    return SeriesAttendance(series, sessions, ordered)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_CERT_SALT)


def certificate_token(series: Series, participant_id: int) -> str:
    """Return the signed token a certificate's QR carries (series and person; no personal data)."""
    return str(_serializer().dumps([series.id, participant_id]))


def read_certificate_token(token: str) -> tuple[int, int] | None:
    """Return (series id, participant id) from a genuine token, or None for a forged or damaged one."""
    if not token or len(token) > 200:
        return None
    try:
        data: Any = _serializer().loads(token)
    except BadSignature:
        return None
    if (not isinstance(data, list) or len(data) != 2
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in data)):
        return None
    return int(data[0]), int(data[1])


def verify_certificate(token: str) -> tuple[Series, PersonAttendance] | None:
    """Return the series and the person if the token is genuine and the person still completed it."""
    ids = read_certificate_token(token)
    if ids is None:
        return None
    series = db.session.get(Series, ids[0])
    if series is None or not series.certificates_enabled:
        return None
    person = next((p for p in series_attendance(series).people if p.participant_id == ids[1]), None)
    return (series, person) if person is not None and person.completed else None
