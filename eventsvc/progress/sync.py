"""Keep the maintained counts (checkin/counters.py) in step with every change made through the ORM.

The check-in hot path counts its own rows (counters.added). Everything else goes through the session:
a check-in undone, voided, confirmed or rejected, an event created, cancelled, moved, re-timed, re-levelled
or counted toward other programs, its headcounts reported, a station visit, a station's program for a
year or its unit, a program's year, a unit moved in the tree. `before_flush` notes what changes (and the
tally rows an event counted in, while the database still says so); `after_flush` writes the counts on the
flush's own connection, so they commit or roll back with it. People whose figures may change are
recomputed from the raw rows (progress/raw.py), tally rows from the events (progress/tally.py): exact,
whatever the change. A unit move rewrites paths with one bulk UPDATE after its flush: `do_orm_execute`
follows that statement.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Table, delete, event, func, inspect, literal, select
from sqlalchemy.orm import ORMExecuteState, Session

from eventsvc.checkin import counters
from eventsvc.checkin.counters import (
    PROGRAM,
    EventReach,
    EventTally,
    PersonReach,
    ReachCount,
)
from eventsvc.checkin.models import CHECKIN_PENDING, CheckIn, Registration
from eventsvc.events.models import Event, event_program
from eventsvc.orgs.models import Organization
from eventsvc.programs.models import Program
from eventsvc.progress import tally
from eventsvc.progress.raw import (
    EVENT_REACH_COLUMNS,
    REACH_COLUMNS,
    event_reach,
    people_of_units,
    reached,
)
from eventsvc.stations.models import Station, StationProgram, StationVisit

CHUNK = 500
_KEY, _MOVED = "eventsvc.counts", "eventsvc.counts.moved"  # notes on the flush; units moved, on the session
# Columns and the relationships that set them (a relationship's column changes only during the flush).
_REACH_FIELDS = ("organization_id", "organization", "program_id", "program", "additional_programs")
_PEOPLE_FIELDS = ("status", "starts_at", *_REACH_FIELDS)
_TALLY_FIELDS = (*_PEOPLE_FIELDS, "level", "onsite_count", "online_count")

# A visit reaches its person for the program its station counts toward in the visit's year.
VISIT = counters.cte_source(
    rows=("SELECT sp.program_id AS program_id, s.organization_id AS organizer_id FROM station s "
          "JOIN station_program sp ON sp.station_id = s.id AND sp.year = :year WHERE s.id = :station_id"),
    starts=":visited_at",
)


@dataclass
class _Changes:
    """What one flush changes in counted rows."""

    check_ins: dict[int, tuple[Any, ...]] = field(default_factory=dict)  # changed check-ins: id -> stored values
    new_check_ins: list[CheckIn] = field(default_factory=list)
    new_visits: list[StationVisit] = field(default_factory=list)
    new_events: list[Event] = field(default_factory=list)
    registrations: list[Registration] = field(default_factory=list)  # new or moved: counted as they are after
    registration_deltas: dict[tuple[int, str], int] = field(default_factory=dict)  # (event, status) -> change
    people: set[int] = field(default_factory=set)
    events: set[int] = field(default_factory=set)  # their check-ins' people to recount
    reach_events: set[int] = field(default_factory=set)  # their event_reach rows to rewrite
    tally_events: set[int] = field(default_factory=set)  # their tally rows (now) to recompute
    tally_keys: set[tally.Key] = field(default_factory=set)  # tally rows to recompute
    stations: set[int] = field(default_factory=set)
    programs: set[int] = field(default_factory=set)
    units: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return any(bool(value) for value in vars(self).values())


def _changed(obj: Any, *names: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _stored(session: Session, obj: Any, *names: str) -> tuple[Any, ...]:
    """The values a row holds in the database before this flush writes (an expired object may not know
    them: setting an attribute does not load the old value)."""
    table = type(obj).__table__
    row = session.connection().execute(
        select(*(table.c[name] for name in names)).where(table.c.id == obj.id)).first()
    return tuple(row) if row is not None else tuple(getattr(obj, name) for name in names)


def _stored_station(session: Session, obj: StationProgram) -> set[int]:
    """The station a StationProgram row belonged to before this flush (a row taken off a station's list
    loses it during the flush)."""
    hist = inspect(obj).attrs.station_id.history
    return {value for value in hist.deleted if value is not None}


_COUNTED_FIELDS = ("event_id", "method", "status", "voided_at", "participant_id")


def _counted_key(values: tuple[Any, ...] | None) -> tuple[int, str, bool] | None:
    """(event, method, pending) under which a check-in's figures stand; None if voided (its figures went)
    or gone."""
    if values is None:
        return None
    event_id, method, status, voided_at, _ = values
    return None if voided_at is not None else (event_id, method, status == CHECKIN_PENDING)


def _collect_check_in(session: Session, changes: _Changes, obj: CheckIn, state: str) -> None:
    if state == "new":
        changes.new_check_ins.append(obj)
    elif state == "deleted" or _changed(obj, *_COUNTED_FIELDS, "event", "participant"):
        changes.check_ins.setdefault(obj.id, _stored(session, obj, *_COUNTED_FIELDS))


def _collect_registration(session: Session, changes: _Changes, obj: Registration, state: str) -> None:
    """A registration counts under (event, status): a new one adds, a deleted one takes away what the database
    holds, a moved or re-statused one does both (its new place is read after the flush)."""
    if state == "new":
        changes.registrations.append(obj)
    elif state == "deleted" or _changed(obj, "status", "event_id", "event"):
        event_id, status = _stored(session, obj, "event_id", "status")
        changes.registration_deltas[(event_id, status)] = changes.registration_deltas.get((event_id, status), 0) - 1
        if state == "dirty":
            changes.registrations.append(obj)


def _apply_registrations(conn: Connection, changes: _Changes) -> None:
    deltas = dict(changes.registration_deltas)
    for obj in changes.registrations:
        deltas[(obj.event_id, obj.status)] = deltas.get((obj.event_id, obj.status), 0) + 1
    per_event: dict[int, dict[str, int]] = {}
    for (event_id, status), delta in deltas.items():
        per_event.setdefault(event_id, {})[status] = delta
    for event_id in sorted(per_event):  # in key order: concurrent flushes lock event_count rows alike
        counters.bump_registrations(conn, event_id, per_event[event_id])


def _apply_check_ins(conn: Connection, changes: _Changes, people: set[int]) -> None:
    """Move the figures of changed check-ins from what they stood under to what they stand under now."""
    if not changes.check_ins:
        return
    table = CheckIn.__table__
    now = {row[0]: tuple(row[1:]) for row in conn.execute(
        select(table.c.id, *(table.c[name] for name in _COUNTED_FIELDS)).where(
            table.c.id.in_(sorted(changes.check_ins))))}
    for check_in_id, old in changes.check_ins.items():
        new = now.get(check_in_id)
        before, after = _counted_key(old), _counted_key(new)
        if before != after:
            for key, delta in ((before, -1), (after, 1)):
                if key is not None:
                    event_id, method, pending = key
                    counters.bump(conn, event_id, method, pending, delta)
                    if not pending:
                        counters.tally(conn, event_id, delta)
        people.update(values[-1] for values in (old, new) if values is not None)


def _collect_event(session: Session, changes: _Changes, obj: Event, state: str) -> None:
    deleted = state == "deleted"
    if deleted or _changed(obj, *_TALLY_FIELDS):  # the rows it counted in until now
        changes.tally_keys |= tally.keys_of(session.connection(), [obj.id])
        changes.tally_events.add(obj.id)
    if deleted or _changed(obj, *_REACH_FIELDS):
        changes.reach_events.add(obj.id)
    if deleted:
        with session.no_autoflush:  # its check-ins may go with it: note their people now
            changes.people.update(session.scalars(select(CheckIn.participant_id).where(CheckIn.event_id == obj.id)))
    elif _changed(obj, *_PEOPLE_FIELDS):
        changes.events.add(obj.id)


def _collect_program(session: Session, changes: _Changes, obj: Program, state: str) -> None:
    if state == "deleted" or _changed(obj, "year"):
        changes.programs.add(obj.id)
        conn = session.connection()
        changes.reach_events.update(conn.execute(select(Event.id).where(Event.program_id == obj.id)).scalars())
        changes.reach_events.update(conn.execute(select(event_program.c.event_id).where(
            event_program.c.program_id == obj.id)).scalars())


@event.listens_for(Session, "before_flush")
def _collect(session: Session, flush: Any, _instances: Any) -> None:
    """Note what this flush changes in counted rows (before the ORM forgets the old values). The notes live
    on the flush itself: a flush that fails (a lost race under a savepoint) leaves nothing behind."""
    changes = flush.attributes.setdefault(_KEY, _Changes())
    for state, objects in (("new", session.new), ("deleted", session.deleted), ("dirty", session.dirty)):
        for obj in objects:
            if isinstance(obj, CheckIn):
                _collect_check_in(session, changes, obj, state)
            elif isinstance(obj, Registration):
                _collect_registration(session, changes, obj, state)
            elif isinstance(obj, Event):
                if state == "new":  # its id comes with the flush
                    changes.new_events.append(obj)
                else:
                    _collect_event(session, changes, obj, state)
            elif isinstance(obj, StationVisit):
                if state == "new":
                    changes.new_visits.append(obj)
                elif state == "deleted" or _changed(obj, "station_id", "station", "participant_id", "visit_date",
                                                    "visited_at"):
                    changes.people.update({*_stored(session, obj, "participant_id"), obj.participant_id})
            elif isinstance(obj, StationProgram):  # a station's visits of a year count toward another program
                if state != "dirty" or _changed(obj, "program_id", "program", "year", "station_id", "station"):
                    station = obj.station_id if obj.station_id is not None else getattr(obj.station, "id", None)
                    changes.stations.update({station, *_stored_station(session, obj)} - {None})
            elif state == "new":
                continue  # a new station or program has nothing counted yet
            elif isinstance(obj, Station) and state == "dirty" and _changed(obj, "organization_id", "organization",
                                                                            "programs"):
                changes.stations.add(obj.id)  # "programs": one removed from the list is deleted in the flush
            elif isinstance(obj, Program):
                _collect_program(session, changes, obj, state)
            elif isinstance(obj, Organization) and state == "dirty":
                if _changed(obj, "path"):
                    changes.units.add(obj.id)
                elif _changed(obj, "parent_id", "parent"):  # paths follow in a bulk UPDATE (move_organization)
                    session.info.setdefault(_MOVED, set()).add(obj.id)


@event.listens_for(Session, "after_flush")
def _apply(session: Session, flush: Any) -> None:
    """Write the counts for what the flush did, on the flush's own connection and transaction."""
    changes = flush.attributes.get(_KEY)
    if not changes:
        return
    for obj in changes.new_events:  # ids known now
        changes.reach_events.add(obj.id)
        changes.tally_events.add(obj.id)
    conn = session.connection()
    _apply_registrations(conn, changes)
    people = set(changes.people)
    _apply_check_ins(conn, changes, people)
    for obj in changes.new_check_ins:  # an ORM insert counts like the hot path's
        counters.bump(conn, obj.event_id, obj.method, obj.status == CHECKIN_PENDING, 1, seq=1)
        if obj.status != CHECKIN_PENDING and obj.voided_at is None:
            counters.tally(conn, obj.event_id, 1)
            if obj.participant_id not in people:
                counters.count_person(conn, obj.event_id, obj.participant_id)
    for visit in changes.new_visits:
        if visit.visited_at is None:
            people.add(visit.participant_id)
        elif visit.participant_id not in people:
            counters.reach(conn, visit.participant_id, VISIT, {
                "station_id": visit.station_id, "year": visit.visit_date.year, "visited_at": visit.visited_at})
    _apply_events(conn, changes)
    if changes.events:
        people.update(conn.execute(select(CheckIn.participant_id).where(
            CheckIn.event_id.in_(sorted(changes.events)))).scalars())
    if changes.stations:
        people.update(conn.execute(select(StationVisit.participant_id).where(
            StationVisit.station_id.in_(sorted(changes.stations)))).scalars())
    if changes.programs:
        people.update(conn.execute(select(PersonReach.participant_id).where(
            PersonReach.kind == PROGRAM, PersonReach.bucket.in_(sorted(changes.programs)))).scalars())
    if changes.units:
        people.update(_moved(conn, changes.units))
    resync_people(conn, people)


def _apply_events(conn: Connection, changes: _Changes) -> None:
    """Rewrite the event_reach rows and recompute the tally rows the changed events touch (old and new)."""
    if changes.reach_events:
        refresh_event_reach(conn, changes.reach_events)
    keys = set(changes.tally_keys)
    if changes.tally_events:
        keys |= tally.keys_of(conn, sorted(changes.tally_events))
    if changes.programs:  # a deleted program's rows go to zero
        keys.update(tuple(row) for row in conn.execute(  # type: ignore[misc]
            select(EventTally.organization_id, EventTally.kind, EventTally.bucket, EventTally.level,
                   EventTally.is_primary).where(EventTally.kind == PROGRAM,
                                                EventTally.bucket.in_(sorted(changes.programs)))))
    tally.recompute(conn, keys)


@event.listens_for(Session, "do_orm_execute")
def _after_paths_rewritten(state: ORMExecuteState) -> Any:
    """A unit moved: its subtree's paths are rewritten by one bulk UPDATE after the flush that changed its
    parent. Run that UPDATE, then recount everyone reached below the unit, in the same transaction."""
    session = state.session
    if not state.is_update or not session.info.get(_MOVED) or state.bind_mapper is None \
            or state.bind_mapper.class_ is not Organization:
        return None
    result = state.invoke_statement().freeze()
    conn = session.connection()
    resync_people(conn, _moved(conn, session.info.pop(_MOVED)))
    return result()


def _moved(conn: Connection, unit_ids: Iterable[int]) -> set[int]:
    """Units whose place in the tree changed: rewrite the event_reach rows of every event below them and
    return everyone counted at events or stations below them (their rows to recompute)."""
    paths = list(conn.execute(select(Organization.path).where(Organization.id.in_(sorted(unit_ids)))).scalars())
    units: set[int] = set()
    for path in paths:
        units.update(conn.execute(select(Organization.id).where(Organization.path.startswith(path))).scalars())
    if not units:
        return set()
    refresh_event_reach(conn, conn.execute(select(Event.id).where(Event.organization_id.in_(sorted(units)))).scalars())
    return set(conn.execute(people_of_units(sorted(units))).scalars())


def refresh_event_reach(conn: Connection | Session, event_ids: Iterable[int]) -> None:
    """Rewrite these events' event_reach rows from their programs and the tree."""
    ids = sorted(set(event_ids))
    table = cast(Table, EventReach.__table__)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        conn.execute(delete(table).where(table.c.event_id.in_(chunk)))
        conn.execute(table.insert().from_select(EVENT_REACH_COLUMNS, event_reach(chunk)))


def resync_people(conn: Connection | Session, participant_ids: Iterable[int]) -> None:
    """Recompute these people's person_reach rows (and the counts) from the raw rows."""
    ids = sorted(set(participant_ids))
    reach = cast(Table, PersonReach.__table__)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        _recount(conn, chunk, -1)
        conn.execute(delete(reach).where(reach.c.participant_id.in_(chunk)))
        conn.execute(reach.insert().from_select(REACH_COLUMNS, reached(chunk)))
        _recount(conn, chunk, 1)


def _recount(conn: Connection | Session, chunk: list[int], sign: int) -> None:
    """Add (sign 1) or take away (-1) these people's person_reach rows in reach_count."""
    r = PersonReach
    rows = (select(r.kind, r.bucket, r.organization_id, literal(sign) * func.count())
            .where(r.participant_id.in_(chunk)).group_by(r.kind, r.bucket, r.organization_id))
    stmt = counters.dialect_insert(conn, ReachCount).from_select(["kind", "bucket", "organization_id", "people"], rows)
    conn.execute(stmt.on_conflict_do_update(index_elements=["kind", "bucket", "organization_id"],
                                            set_={"people": ReachCount.people + stmt.excluded.people}))
