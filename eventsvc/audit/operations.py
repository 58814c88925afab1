"""Writing audit entries. Every domain operation calls `record` in the same transaction as its change."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete

from eventsvc.audit.models import ACTOR_SYSTEM, ACTOR_USER, ACTOR_WORKER, AuditEntry
from eventsvc.core.phones import mask_phone
from eventsvc.core.timeutil import utcnow
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization, User


@dataclass(frozen=True)
class WorkerActor:
    """A worker acting on their own phone: known only by the hashed device id."""

    device_hash: str = ""


Actor = User | WorkerActor | None  # None means "system" (CLI, seed, timers)

# Field names whose values are personal data: masked in every summary and diff.
_PHONE_FIELDS = ("phone", "mobile", "手机")
_HIDDEN_FIELDS = ("password", "password_hash", "token", "secret")


def _clean(field: str, value: Any) -> Any:
    """Make a value JSON-safe and free of personal data."""
    lowered = field.lower()
    if any(h in lowered for h in _HIDDEN_FIELDS):
        return "***"
    if isinstance(value, str) and any(p in lowered for p in _PHONE_FIELDS):
        return mask_phone(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat(sep=" ", timespec="minutes") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_clean(field, v) for v in value]
    label = getattr(value, "label", None) or getattr(value, "name", None)
    return str(label) if label is not None else str(value)


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    """Capture the fields' current values, to diff after an edit."""
    return {f: _clean(f, getattr(obj, f, None)) for f in fields}


def changes_since(before: dict[str, Any], obj: Any) -> dict[str, list[Any]]:
    """Return {field: [before, after]} for the fields that changed since `snapshot`."""
    after = snapshot(obj, before.keys())
    return {f: [before[f], after[f]] for f in before if before[f] != after[f]}


def person_label(person: Any) -> str:
    """Name a participant in a summary without personal data: 张** 138****5678."""
    name = str(getattr(person, "name", "") or "")
    masked_name = name[:1] + "*" * max(1, len(name) - 1) if name else ""
    return f"{masked_name} {mask_phone(getattr(person, 'phone', '') or '')}".strip()


def _event_id_of(obj: Any, changes: dict[str, Any] | None) -> int | None:
    """The event an object is or belongs to (CheckIn, Registration … carry event_id); else `changes["event_id"]`."""
    if obj is not None and getattr(obj, "__tablename__", "") == "event":
        return getattr(obj, "id", None)
    for candidate in (getattr(obj, "event_id", None), (changes or {}).get("event_id")):
        if isinstance(candidate, int) and not isinstance(candidate, bool):
            return candidate
    return None


def _organization_of(obj: Any) -> Organization | None:
    if obj is None:
        return None
    if isinstance(obj, Organization):
        return obj
    org = getattr(obj, "organization", None)
    if isinstance(org, Organization):
        return org
    event = getattr(obj, "event", None)
    return getattr(event, "organization", None) if event is not None else None


def record(
    actor: Actor,
    action: str,
    obj: Any = None,
    *,
    summary: str = "",
    changes: dict[str, Any] | None = None,
    object_type: str = "",
    object_id: int | None = None,
    organization: Organization | None = None,
    event_id: int | None = None,
) -> AuditEntry:
    """Add one audit entry for `action` (e.g. "event.publish") on `obj`, in the current transaction.

    The entry's event (for the event's history) is `event_id`, else found from `obj` or `changes`.
    """
    if obj is not None and getattr(obj, "id", None) is None:
        db.session.flush()  # the entry must name the new object's id
    entry = AuditEntry(
        at=utcnow(),
        action=action,
        object_type=object_type or (getattr(obj, "__tablename__", "") if obj is not None else ""),
        object_id=object_id if object_id is not None else getattr(obj, "id", None),
        summary=summary[:2000],
        changes={k: _clean(k, v) if not isinstance(v, list) else [_clean(k, x) for x in v]
                 for k, v in changes.items()} if changes else None,
    )
    org = organization if organization is not None else _organization_of(obj)
    entry.organization_id = org.id if org is not None else None
    entry.event_id = event_id if event_id is not None else _event_id_of(obj, changes)
    if isinstance(actor, User):
        entry.actor_kind, entry.actor_id, entry.actor_name = ACTOR_USER, actor.id, actor.username
    elif isinstance(actor, WorkerActor):
        entry.actor_kind, entry.device_hash = ACTOR_WORKER, actor.device_hash
    else:
        entry.actor_kind = ACTOR_SYSTEM
    db.session.add(entry)
    return entry


def purge_older_than(cutoff: datetime) -> int:
    """Delete entries before `cutoff` (retention, when configured); the only deletion path, used by the CLI."""
    result = db.session.execute(
        delete(AuditEntry).where(AuditEntry.at < cutoff).execution_options(audit_retention=True)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
