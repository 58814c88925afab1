"""Check-ins that wait for an organizer (待核实): why one is held back, confirming and rejecting it.

One phone may check in a few colleagues (PENDING_DEVICE_LIMIT different people per event, default 3);
beyond that its self check-ins are stored as pending, listed on the staff event page with the reason,
and left out of every count until an organizer confirms them. Rejecting deletes the row and leaves
an audit entry with what it said, like an undo.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from eventsvc.audit.models import AuditEntry
from eventsvc.audit.operations import person_label
from eventsvc.audit.operations import record as audit
from eventsvc.checkin.models import CHECKIN_CONFIRMED, CHECKIN_PENDING, CheckIn
from eventsvc.core import driver_sql
from eventsvc.core.exceptions import OperationError
from eventsvc.core.permissions import can_manage_org
from eventsvc.core.timeutil import utcnow
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.orgs.models import User

DEFAULT_DEVICE_LIMIT = 3


@dataclass(frozen=True)
class Source:
    """Where a self check-in came from: hashed device id, truncated IP, user-agent family."""

    device_hash: str = ""
    client_ip: str = ""
    user_agent: str = ""
    # pending_reason() as asked before the caller's first write: SQLite's write lock is then not held
    # while the device's check-ins are counted.
    reason: str | None = None


def device_limit() -> int:
    """How many different people one device may check in at one event before review (config)."""
    return int(current_app.config.get("PENDING_DEVICE_LIMIT", DEFAULT_DEVICE_LIMIT))


_PEOPLE_FROM_DEVICE = ("SELECT COUNT(DISTINCT participant_id) FROM check_in"
                       " WHERE event_id = :event AND device_hash = :device")


def people_from_device(event: Event, device_hash: str) -> int:
    """Count the different people this device has checked in at the event (pending ones included)."""
    if not device_hash:
        return 0
    # Asked on every self check-in: driver SQL (see core.driver_sql), answered from ix_check_in_event_device.
    return int(driver_sql.run(db.session.connection(), _PEOPLE_FROM_DEVICE,
                              {"event": event.id, "device": device_hash}).scalar() or 0)


def pending_reason(event: Event, source: Source | None, already: int | None = None) -> str:
    """Return why a new self check-in from `source` must wait for review, or "" when it counts at once.

    `already`: people_from_device, when the caller read it along with something else.
    """
    if source is None or not source.device_hash:
        return ""
    if source.reason is not None:
        return source.reason
    if already is None:
        already = people_from_device(event, source.device_hash)
    limit = device_limit()
    if already < limit:
        return ""
    return f"同一手机已为本场 {already} 人签到（超过 {limit} 人需核实）"


def _guard(record: CheckIn, by: User) -> None:
    if not can_manage_org(by, record.event.organization):
        raise OperationError("您无权核实该签到", code="forbidden")
    if record.status != CHECKIN_PENDING:
        raise OperationError("该签到不是待核实状态", code="not_pending")


def confirm_check_in(record: CheckIn, *, by: User) -> CheckIn:
    """Count a pending check-in: an organizer of the event's unit vouches for it."""
    _guard(record, by)
    record.status, record.reviewed_by_id, record.reviewed_at = CHECKIN_CONFIRMED, by.id, utcnow()
    audit(by, "checkin.confirm", record, organization=record.event.organization,
          summary=f"核实签到：{person_label(record.participant)}（{record.pending_reason}）",
          changes={"status": [CHECKIN_PENDING, CHECKIN_CONFIRMED]})
    db.session.flush()
    return record


def reject_check_in(record: CheckIn, *, by: User, reason: str = "") -> AuditEntry:
    """Remove a pending check-in an organizer does not believe; the audit entry keeps what it said."""
    _guard(record, by)
    reason = reason.strip()[:200]
    entry = audit(
        by, "checkin.reject", record, organization=record.event.organization,
        summary=f"驳回待核实签到：{person_label(record.participant)}" + (f"，原因：{reason}" if reason else ""),
        changes={"event_id": record.event_id, "participant_id": record.participant_id,
                 "checked_in_at": record.checked_in_at, "name_given": record.name_given,
                 "device_hash": record.device_hash, "client_ip": record.client_ip,
                 "pending_reason": record.pending_reason, "reason": reason},
    )
    db.session.delete(record)
    db.session.flush()
    return entry
