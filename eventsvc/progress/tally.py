"""场次, reported headcounts and 人次 from the maintained tallies (checkin/counters.py EventTally).

A tally row sums every published event of one organizer, per program and level ('p': an event adds to
its primary program's row and to each additional program's, flagged apart so a year's rollup counts it
once) or per China-time month ('m': each event once). What an event adds is defined once, here
(contributions): the flush hooks recompute the rows an event change touches (progress/sync.py), the
hot path adds check-ins (counters.tally), `counts verify|rebuild` recompute all of them.

Readers get a bucket's rows minus what the published events not started by `now` added: a session
counts once its event has started. Those events are few (read through the (program, status, start)
index), unless `now` lies in the past.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Connection, Select, and_, func, literal, literal_column, or_, select, union_all

from eventsvc.checkin.counters import MONTH, PROGRAM, EventCount, EventTally, dialect_insert, month_sql
from eventsvc.checkin.models import CheckIn
from eventsvc.checkin.queries import counted_check_in
from eventsvc.core.built import built, given, ids, param
from eventsvc.core.timeutil import LOCAL_OFFSET, from_local
from eventsvc.events.models import PUBLISHED, Event, event_program
from eventsvc.extensions import db
from eventsvc.programs.models import Program
from eventsvc.progress.rollup import id_list

Key = tuple[int, str, int, str, bool]  # (organization_id, kind, bucket, level, is_primary)
FIELDS = ("sessions", "onsite", "online", "checkins")


@dataclass
class Sums:
    """What some published events add up to."""

    sessions: int = 0
    onsite: int = 0
    online: int = 0
    checkins: int = 0

    def add(self, other: Sums, sign: int = 1) -> None:
        self.sessions += sign * other.sessions
        self.onsite += sign * other.onsite
        self.online += sign * other.online
        self.checkins += sign * other.checkins

    def __bool__(self) -> bool:
        return any((self.sessions, self.onsite, self.online, self.checkins))


def month_of(starts_at: datetime) -> int:
    """The China-time month of a UTC start as yyyymm (counters.month_sql says the same in SQL)."""
    local = starts_at + LOCAL_OFFSET
    return local.year * 100 + local.month


def month_range(month: int) -> tuple[datetime, datetime]:
    """The UTC instants [first, next first) of a yyyymm China-time month."""
    year, m = divmod(month, 100)
    after = date(year + m // 12, m % 12 + 1, 1)
    return from_local(datetime.combine(date(year, m, 1), time())), from_local(datetime.combine(after, time()))


def published_events(*conditions: Any, raw: bool = False) -> Select[*tuple[Any, ...]]:
    """Select what an event adds to tallies: (id, program, organizer, level, start, onsite, online, checkins).

    人次 come from event_count, or with `raw` from the check-ins themselves (what verify compares with).
    """
    columns = (Event.id, Event.program_id, Event.organization_id, Event.level, Event.starts_at,
               Event.onsite_count, Event.online_count)
    if raw:
        counted = (select(CheckIn.event_id, func.count().label("checkins")).where(counted_check_in())
                   .group_by(CheckIn.event_id).subquery())
        stmt = select(*columns, counted.c.checkins).outerjoin(counted, counted.c.event_id == Event.id)
    else:
        stmt = select(*columns, EventCount.checkins).outerjoin(EventCount, EventCount.event_id == Event.id)
    return stmt.where(Event.status == PUBLISHED, *conditions)


def contributions(conn: Connection | Any, stmt: Any, kinds: Iterable[str] = (PROGRAM, MONTH)) -> dict[Key, Sums]:
    """Add up what the events the select(s) pick (see published_events) add to each tally row, each once."""
    kinds = set(kinds)
    picked = {row[0]: row for one in (stmt if isinstance(stmt, list | tuple) else [stmt]) for row in conn.execute(one)}
    rows = list(picked.values())
    extra: dict[int, list[int]] = defaultdict(list)
    if PROGRAM in kinds and rows:
        ids = [row[0] for row in rows]
        for start in range(0, len(ids), 5000):
            for event_id, program_id in conn.execute(select(event_program.c.event_id, event_program.c.program_id)
                                                     .where(event_program.c.event_id.in_(ids[start:start + 5000]))):
                extra[event_id].append(program_id)
    result: dict[Key, Sums] = defaultdict(Sums)
    for event_id, program_id, org_id, level, starts_at, onsite, online, checkins in rows:
        one = Sums(1, onsite or 0, online or 0, checkins or 0)
        if PROGRAM in kinds:
            result[(org_id, PROGRAM, program_id, level, True)].add(one)
            for other in set(extra.get(event_id, ())) - {program_id}:
                result[(org_id, PROGRAM, other, level, False)].add(one)
        if MONTH in kinds:
            result[(org_id, MONTH, month_of(starts_at), "", True)].add(one)
    return result


def recompute(conn: Connection, keys: Iterable[Key]) -> None:
    """Rewrite these tally rows from the events (zero rows stay: an upsert never loses a concurrent bump)."""
    keys = set(keys)
    if not keys:
        return
    programs = {k for k in keys if k[1] == PROGRAM}
    months = {k for k in keys if k[1] == MONTH}
    found: dict[Key, Sums] = defaultdict(Sums)
    if programs:
        orgs, buckets = {k[0] for k in programs}, {k[2] for k in programs}
        listed = select(event_program.c.event_id).where(event_program.c.program_id.in_(id_list(buckets)))
        stmts = [published_events(Event.organization_id.in_(id_list(orgs)), Event.program_id.in_(id_list(buckets))),
                 published_events(Event.organization_id.in_(id_list(orgs)), Event.id.in_(listed))]
        found.update((k, v) for k, v in contributions(conn, stmts, [PROGRAM]).items() if k in programs)
    if months:
        spans = [and_(Event.organization_id == k[0], Event.starts_at >= month_range(k[2])[0],
                      Event.starts_at < month_range(k[2])[1]) for k in months]
        found.update((k, v) for k, v in contributions(conn, published_events(or_(*spans)), [MONTH]).items()
                     if k in months)
    write(conn, [(k, found.get(k, Sums())) for k in sorted(keys)])


def write(conn: Connection | Any, rows: Sequence[tuple[Key, Sums]]) -> None:
    """Upsert tally rows with these values."""
    names = ["organization_id", "kind", "bucket", "level", "is_primary"]
    for start in range(0, len(rows), 2000):
        values = [{**dict(zip(names, key, strict=True)), **{f: getattr(s, f) for f in FIELDS}}
                  for key, s in rows[start:start + 2000]]
        stmt = dialect_insert(conn, EventTally).values(values)
        conn.execute(stmt.on_conflict_do_update(index_elements=names,
                                                set_={f: stmt.excluded[f] for f in FIELDS}))


def keys_of(conn: Connection | Any, event_ids: Sequence[int]) -> set[Key]:
    """The tally rows these events add to, as the database holds them now."""
    stmt = published_events(Event.id.in_(id_list(event_ids)))
    return set(contributions(conn, stmt).keys())


# --- reading ---------------------------------------------------------------------------------

def tally_sums(kind: str, buckets: Sequence[int], now: datetime, *, by: Sequence[str],
               units: Sequence[int] | None = None, primary_only: bool = False) -> dict[tuple[Any, ...], Sums]:
    """Return the sums of the tally rows of these buckets (programs, or yyyymm months) of these organizers
    (None: all), grouped by the key parts `by` (e.g. ("bucket", "level")), minus what events not started
    by `now` add to them. One statement: the stored rows, then the not-started events' negated sums."""
    if not buckets or (units is not None and not units):
        return {}
    dialect = db.session.get_bind().dialect.name
    by = tuple(by)
    stmt = built(("tally_sums", kind, by, units is not None, primary_only, dialect),
                 lambda: _sums_statement(kind, by, units is not None, primary_only, dialect))
    first, last = (month_range(min(buckets))[0], month_range(max(buckets))[1]) if kind == MONTH else (None, None)
    params = given(buckets=list(buckets), now=now, units=None if units is None else list(units), first=first,
                   last=last)
    result: dict[tuple[Any, ...], Sums] = defaultdict(Sums)
    for row in db.session.execute(stmt, params):
        result[tuple(row[:len(by)])].add(Sums(*(int(v or 0) for v in row[len(by):])))
    return {group: sums for group, sums in result.items() if sums}


def _sums_statement(kind: str, by: tuple[str, ...], with_units: bool, primary_only: bool, dialect: str) -> Any:
    """tally_sums' statement, with parameters buckets, now, units (with_units), first and last (months)."""
    t = EventTally
    sums = [func.sum(getattr(t, f)) for f in FIELDS]
    stored = select(*(getattr(t, name) for name in by), *sums).where(t.kind == kind, t.bucket.in_(ids("buckets")))
    if with_units:
        stored = stored.where(t.organization_id.in_(ids("units")))
    if primary_only:
        stored = stored.where(t.is_primary.is_(True))
    later = _not_started(kind, with_units, dialect).subquery("not_started")
    negated = select(*(later.c[name] for name in by), *(-func.sum(later.c[f]) for f in FIELDS))
    if primary_only:
        negated = negated.where(later.c.is_primary.is_(True))
    return union_all(stored.group_by(*(getattr(t, name) for name in by)),
                     negated.group_by(*(later.c[name] for name in by)))


def _not_started(kind: str, with_units: bool, dialect: str) -> Any:
    """Select what the published events starting after `now` add to these buckets, as tally rows would
    (organization_id, bucket, level, is_primary, sessions, onsite, online, checkins). Few rows, found by the
    (program, status, start) index."""
    now = param("now", Event.starts_at)

    def grouped(bucket: Any, level: Any, primary: bool, *conditions: Any) -> Select[*tuple[Any, ...]]:
        stmt = (select(Event.organization_id.label("organization_id"), bucket.label("bucket"), level.label("level"),
                       literal(primary).label("is_primary"), func.count().label("sessions"),
                       func.sum(func.coalesce(Event.onsite_count, 0)).label("onsite"),
                       func.sum(func.coalesce(Event.online_count, 0)).label("online"),
                       func.sum(func.coalesce(EventCount.checkins, 0)).label("checkins"))
                .outerjoin(EventCount, EventCount.event_id == Event.id)
                .where(Event.status == PUBLISHED, Event.starts_at > now, *conditions))
        if with_units:
            stmt = stmt.where(Event.organization_id.in_(ids("units")))
        return stmt.group_by(Event.organization_id, bucket, level)

    if kind == PROGRAM:
        listed = select(event_program.c.event_id).where(event_program.c.program_id.in_(ids("buckets")))
        extra = grouped(event_program.c.program_id, Event.level, False,
                        event_program.c.program_id.in_(ids("buckets")),
                        event_program.c.program_id != Event.program_id, Event.id.in_(listed))
        return union_all(grouped(Event.program_id, Event.level, True, Event.program_id.in_(ids("buckets"))),
                         extra.join(event_program, event_program.c.event_id == Event.id))
    month: Any = literal_column(month_sql("event.starts_at", dialect))
    # Every event has a program: naming them all lets the (program, status, start) index find the few.
    first, last = param("first", Event.starts_at), param("last", Event.starts_at)
    return grouped(month, literal(""), True, Event.program_id.in_(select(Program.id)), Event.starts_at >= first,
                   Event.starts_at < last)
