"""Writing audit entries. Every domain operation calls `record` in the same transaction as its change."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Dialect, delete

from eventsvc.audit.models import ACTOR_SYSTEM, ACTOR_USER, ACTOR_WORKER, AuditEntry
from eventsvc.core import driver_sql
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


def entry_values(
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
) -> dict[str, Any]:
    """The column values of one audit entry (every column but id): the one place `record` and `record_now`
    take them from, so both store the same row."""
    if obj is not None and getattr(obj, "id", None) is None:
        db.session.flush()  # the entry must name the new object's id
    org = organization if organization is not None else _organization_of(obj)
    values: dict[str, Any] = {
        "at": utcnow(),
        "actor_kind": ACTOR_SYSTEM, "actor_id": None, "actor_name": "", "device_hash": "",
        "action": action,
        "object_type": object_type or (getattr(obj, "__tablename__", "") if obj is not None else ""),
        "object_id": object_id if object_id is not None else getattr(obj, "id", None),
        "organization_id": org.id if org is not None else None,
        "event_id": event_id if event_id is not None else _event_id_of(obj, changes),
        "summary": summary[:2000],
        "changes": {k: _clean(k, v) if not isinstance(v, list) else [_clean(k, x) for x in v]
                    for k, v in changes.items()} if changes else None,
    }
    if isinstance(actor, User):
        values.update(actor_kind=ACTOR_USER, actor_id=actor.id, actor_name=actor.username)
    elif isinstance(actor, WorkerActor):
        values.update(actor_kind=ACTOR_WORKER, device_hash=actor.device_hash)
    return values


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
    entry = AuditEntry(**entry_values(actor, action, obj, summary=summary, changes=changes,
                                      object_type=object_type, object_id=object_id, organization=organization,
                                      event_id=event_id))
    db.session.add(entry)
    return entry


# record_now's INSERT (core.driver_sql), over every column but id; values pass through each column type's
# own bind processor first (JSON serialization, SQLite's DATETIME text), as the ORM's INSERT would.
_COLUMNS = tuple(c for c in AuditEntry.__table__.columns if c.name != "id")
_INSERT = (f"INSERT INTO audit_entry ({', '.join(c.name for c in _COLUMNS)})"
           f" VALUES ({', '.join(':' + c.name for c in _COLUMNS)})")
_bind_processors: WeakKeyDictionary[Dialect, list[tuple[str, Callable[[Any], Any]]]] = WeakKeyDictionary()


def _processors(dialect: Dialect) -> list[tuple[str, Callable[[Any], Any]]]:
    found = _bind_processors.get(dialect)
    if found is None:
        found = [(c.name, proc) for c in _COLUMNS
                 if (proc := c.type.dialect_impl(dialect).bind_processor(dialect)) is not None]
        _bind_processors[dialect] = found
    return found


def _driver_values(actor: Actor, action: str, obj: Any, fields: dict[str, Any]) -> tuple[Connection, dict[str, Any]]:
    """record's values as the driver takes them, and the connection to write them on."""
    values = entry_values(actor, action, obj, **fields)
    session = db.session()
    if any(isinstance(pending, AuditEntry) for pending in session.new):
        session.flush()  # entries added earlier keep the lower ids, as if all were flushed together
    conn = session.connection()
    for name, process in _processors(conn.dialect):
        values[name] = process(values[name])
    return conn, values


def record_now(actor: Actor, action: str, obj: Any = None, **fields: Any) -> None:
    """`record` for a caller that does not use the entry: the same row, INSERTed at once with driver SQL in the
    current transaction, so no ORM object is built and the commit has nothing to flush (a hot-path saving).
    Takes record's arguments."""
    conn, values = _driver_values(actor, action, obj, fields)
    driver_sql.run(conn, _INSERT, values)


# PostgreSQL: the entry of an object inserted by the same statement, as a data-modifying CTE over that
# INSERT's RETURNING (`source`, with an `id`): the object's id is not known before the statement runs.
def pg_entry_after(source: str) -> str:
    """The CTE body writing the entry whose object is `source`'s row; its parameters are entry_params'."""
    columns = ", ".join(f"{source}.id" if c.name == "object_id" else driver_sql.pg_typed(c, f"audit_{c.name}")
                        for c in _COLUMNS)
    return f"INSERT INTO audit_entry ({', '.join(c.name for c in _COLUMNS)}) SELECT {columns} FROM {source}"


def entry_params(actor: Actor, action: str, **fields: Any) -> dict[str, Any]:
    """pg_entry_after's parameters: record's values for an entry about an object not inserted yet (its
    `object_type` given, its id taken from the statement)."""
    _conn, values = _driver_values(actor, action, None, fields)
    return {f"audit_{name}": value for name, value in values.items() if name != "object_id"}


def purge_older_than(cutoff: datetime) -> int:
    """Delete entries before `cutoff` (retention, when configured); the only deletion path, used by the CLI."""
    result = db.session.execute(
        delete(AuditEntry).where(AuditEntry.at < cutoff).execution_options(audit_retention=True)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
