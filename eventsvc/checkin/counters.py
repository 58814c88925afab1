"""Maintained counts, written in the same transaction as the check-ins they count.

- EventCount: per event, counted check-ins (人次) by method, pending (待核实) ones, and `seq`, the
  running number a new check-in gets (您是本场第 N 位; an undo leaves a gap, never a repeat).
- ProgramParticipant: one row per (program, organizing unit, person) with at least one counted
  check-in at a published event of that program organized by that unit (an event counts toward its
  primary program and each additional one), with the earliest start among those events: a person
  counts once that one has started (the session rule), so readers filter `first_starts_at <= now`.
  Distinct 人 per program and subtree read these rows, never the check-ins.

The hot path (operations.checkins) calls `added()` after its INSERT. Everything done through the ORM
(undo, void, reject, confirm, an import undone, an event cancelled, moved or counted toward other
programs) is caught by the flush hooks below, so no operation can forget the counters.
`progress/counters.py` recomputes both tables from the raw rows (`flask counts verify|rebuild`).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Table,
    delete,
    event,
    func,
    inspect,
    literal,
    select,
    union,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from eventsvc.checkin.models import CHECKIN_PENDING, IMPORT, MANUAL, SELF_SCAN, STAFF_SCAN, CheckIn
from eventsvc.db import Base
from eventsvc.events.models import PUBLISHED, Event, event_program

METHOD_COLUMNS = {SELF_SCAN: "by_self", STAFF_SCAN: "by_staff", MANUAL: "by_manual", IMPORT: "by_import"}


class EventCount(Base):
    """An event's check-in figures, kept equal to what the check_in rows say."""

    __tablename__ = "event_count"

    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    checkins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # counted (not pending)
    pending: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    by_self: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    by_staff: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    by_manual: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    by_import: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ProgramParticipant(Base):
    """A person counted for a program at events of one organizing unit (inserted once)."""

    __tablename__ = "program_participant"
    __table_args__ = (Index("ix_program_participant_person", "participant_id"),)

    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="CASCADE"), primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True)
    first_starts_at: Mapped[datetime] = mapped_column(DateTime)


def dialect_insert(conn: Any, table: Any) -> Any:
    """Return the dialect's INSERT (both have ON CONFLICT) for `table`."""
    bind = conn.get_bind() if hasattr(conn, "get_bind") else conn  # a Session, scoped or not
    name = bind.dialect.name
    return (pg_insert if name == "postgresql" else sqlite_insert)(table)


def _bump(conn: Connection | Session, event_id: int, method: str, pending: bool, delta: int) -> int:
    """Add `delta` check-ins to the event's counts; a new one also takes the next seq. Return seq."""
    values = {"event_id": event_id, "seq": max(delta, 0), "checkins": 0 if pending else delta,
              "pending": delta if pending else 0, "by_self": 0, "by_staff": 0, "by_manual": 0, "by_import": 0}
    if not pending and method in METHOD_COLUMNS:
        values[METHOD_COLUMNS[method]] = delta
    stmt = dialect_insert(conn, EventCount).values(**values)
    t = EventCount.__table__
    sets = {name: t.c[name] + stmt.excluded[name] for name in values if name != "event_id"}
    stmt = stmt.on_conflict_do_update(index_elements=[t.c.event_id], set_=sets).returning(t.c.seq)
    return int(conn.execute(stmt).scalar_one())


def programs_of(event_id: int) -> Any:
    """Select the ids of the programs an event counts toward (primary and additional)."""
    return union(select(Event.program_id.label("program_id")).where(Event.id == event_id),
                 select(event_program.c.program_id).where(event_program.c.event_id == event_id))


_PP_COLUMNS = ["program_id", "organization_id", "participant_id", "first_starts_at"]


def _add_person(conn: Connection | Session, event: Event, participant_id: int) -> None:
    """Insert the person once per program of the event; an earlier-starting event moves first_starts_at."""
    m = programs_of(event.id).subquery()
    rows = select(m.c.program_id, literal(event.organization_id), literal(participant_id),
                  literal(event.starts_at, DateTime)).where(m.c.program_id.is_not(None))
    stmt = dialect_insert(conn, ProgramParticipant).from_select(_PP_COLUMNS, rows)
    t = ProgramParticipant.__table__
    conn.execute(stmt.on_conflict_do_update(
        index_elements=[t.c.program_id, t.c.organization_id, t.c.participant_id],
        set_={"first_starts_at": stmt.excluded.first_starts_at},
        where=stmt.excluded.first_starts_at < t.c.first_starts_at))


def added(conn: Connection | Session, event: Event, participant_id: int, method: str, pending: bool) -> int:
    """Count a check-in just inserted; return its running number at the event."""
    seq = _bump(conn, event.id, method, pending, 1)
    if not pending and event.status == PUBLISHED:
        _add_person(conn, event, participant_id)
    return seq


def counted_people() -> Any:
    """Select what ProgramParticipant holds, from the raw rows: (program, organizer, person, earliest start)."""
    m = union(select(Event.id.label("event_id"), Event.program_id.label("program_id")),
              select(event_program.c.event_id, event_program.c.program_id)).subquery()
    return (select(m.c.program_id, Event.organization_id, CheckIn.participant_id, func.min(Event.starts_at))
            .select_from(CheckIn).join(Event, Event.id == CheckIn.event_id).join(m, m.c.event_id == Event.id)
            .where(Event.status == PUBLISHED, CheckIn.status != CHECKIN_PENDING, CheckIn.voided_at.is_(None))
            .group_by(m.c.program_id, Event.organization_id, CheckIn.participant_id))


def resync_people(conn: Connection | Session, participant_ids: Iterable[int]) -> None:
    """Recompute the ProgramParticipant rows of these people from their check-ins."""
    ids = sorted(set(participant_ids))
    t = cast(Table, ProgramParticipant.__table__)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        conn.execute(delete(t).where(t.c.participant_id.in_(chunk)))
        conn.execute(t.insert().from_select(_PP_COLUMNS, counted_people().where(CheckIn.participant_id.in_(chunk))))


def people_at(conn: Connection | Session, event_ids: Sequence[int]) -> list[int]:
    """Return the ids of everyone with a check-in at these events."""
    return list(conn.execute(select(CheckIn.participant_id).where(CheckIn.event_id.in_(event_ids))).scalars())


# --- flush hooks: ORM changes keep the counters too ------------------------------------------

_KEY = "eventsvc.counters"
_EVENT_FIELDS = ("status", "organization_id", "program_id", "additional_programs", "starts_at")


@event.listens_for(Session, "before_flush")
def _collect(session: Session, _ctx: Any, _instances: Any) -> None:
    """Note what this flush changes in counted rows (before the ORM forgets the old values)."""
    queued = session.info.setdefault(_KEY, {"bumps": [], "people": set(), "events": set()})
    for obj in session.new:
        if isinstance(obj, CheckIn):
            queued["bumps"].append((obj, None, 1))
    for obj in session.deleted:
        if isinstance(obj, CheckIn):
            if obj.voided_at is None:  # a voided row's counts went when it was voided
                queued["bumps"].append((obj, (obj.event_id, obj.method, obj.status == CHECKIN_PENDING), -1))
            queued["people"].add(obj.participant_id)
    for obj in session.dirty:  # R5's void (作废): the row stays, its counts go as if it were deleted
        if isinstance(obj, CheckIn):
            voided = inspect(obj).attrs.voided_at.history
            if voided.added and voided.added[0] is not None and not any(voided.deleted):
                queued["bumps"].append((obj, (obj.event_id, obj.method, obj.status == CHECKIN_PENDING), -1))
                queued["people"].add(obj.participant_id)
    for obj in session.dirty:
        if isinstance(obj, CheckIn):
            hist = inspect(obj).attrs.status.history
            before, after = list(hist.deleted or ()), list(hist.added or ())
            was_pending = bool(before) and before[0] == CHECKIN_PENDING
            if after and was_pending != (after[0] == CHECKIN_PENDING):
                queued["bumps"].append((obj, (obj.event_id, obj.method, was_pending), -1))
                queued["bumps"].append((obj, (obj.event_id, obj.method, not was_pending), 0))
                queued["people"].add(obj.participant_id)
        elif isinstance(obj, Event):
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in _EVENT_FIELDS):
                queued["events"].add(obj.id)


@event.listens_for(Session, "after_flush")
def _apply(session: Session, _ctx: Any) -> None:
    """Write the counts for what the flush did, on the flush's own connection and transaction."""
    queued = session.info.pop(_KEY, None)
    if not queued or not (queued["bumps"] or queued["people"] or queued["events"]):
        return
    conn = session.connection()
    people: set[int] = set(queued["people"])
    for obj, old, delta in queued["bumps"]:
        if old is None:  # an ORM insert: count it like the hot path does
            _bump(conn, obj.event_id, obj.method, obj.status == CHECKIN_PENDING, 1)
            people.add(obj.participant_id)
        elif delta == 0:  # the other half of a status change: counted under the new status, no new seq
            values = _bump_values(old)
            _adjust(conn, obj.event_id, values)
        else:
            _adjust(conn, old[0], {k: -v for k, v in _bump_values(old).items()})
    if queued["events"]:
        people.update(people_at(conn, sorted(queued["events"])))
    if people:
        resync_people(conn, people)


def _bump_values(key: tuple[int, str, bool]) -> dict[str, int]:
    _event_id, method, pending = key
    if pending:
        return {"pending": 1}
    values = {"checkins": 1}
    if method in METHOD_COLUMNS:
        values[METHOD_COLUMNS[method]] = 1
    return values


def _adjust(conn: Connection, event_id: int, values: dict[str, int]) -> None:
    """Add signed amounts to an event's counts without touching seq (row created when missing)."""
    row = {"event_id": event_id, "seq": 0, "checkins": 0, "pending": 0, "by_self": 0, "by_staff": 0,
           "by_manual": 0, "by_import": 0, **values}
    stmt = dialect_insert(conn, EventCount).values(**row)
    t = EventCount.__table__
    conn.execute(stmt.on_conflict_do_update(
        index_elements=[t.c.event_id], set_={k: t.c[k] + stmt.excluded[k] for k in values}))


