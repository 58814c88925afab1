"""Distinct people (人), read from the maintained person_reach rows and reach_count (checkin/counters.py).

- A program's 人 within a unit's subtree is reach_count ('p', program, unit) minus that bucket's rows
  whose first start is still after `now` (the session rule; an index finds those few rows). A year's 人
  across all its programs is the same with ('y', year). Check-in people and station visitors are the same
  rows, so a worker met at an event and at a station is one 人.
- Other combinations (several programs counted together, every year at once) count distinct person_reach
  rows of the buckets (an index range per bucket and unit, no check-ins read).
- A period (`since`) reads the check-ins and visits of that period themselves: people_in_period.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, null, select, union, union_all
from sqlalchemy.orm import aliased

from eventsvc.checkin.counters import PersonReach, ReachCount
from eventsvc.checkin.models import CheckIn
from eventsvc.checkin.queries import counted_check_in
from eventsvc.core.built import built, given, ids, param
from eventsvc.events.models import PUBLISHED, Event
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization
from eventsvc.progress.rollup import id_list, memberships
from eventsvc.progress.stations import station_people_by_program, station_people_by_subtree

Key = tuple[int, int]  # (bucket, organization id)


def scope_units(scope_path: str) -> list[int]:
    """Return the unit whose subtree is `scope_path` (for "" the root units: normally one, the district)."""
    unit = Organization.path == scope_path if scope_path else Organization.parent_id.is_(None)
    return list(db.session.scalars(select(Organization.id).where(unit)))


def reach_people(kind: str, buckets: Sequence[int], org_ids: Sequence[int], now: datetime) -> dict[Key, int]:
    """Return 人 per (bucket, unit subtree) counted by `now`, from the counts (kind 'p' program, 'y' year)."""
    if not buckets or not org_ids:
        return {}

    def make() -> Any:
        c, r = ReachCount, PersonReach
        counts = select(c.bucket, c.organization_id, c.people).where(
            c.kind == param("kind", c.kind), c.bucket.in_(ids("buckets")), c.organization_id.in_(ids("org_ids")))
        later = (select(r.bucket, r.organization_id, -func.count())  # reached at events not yet started
                 .where(r.kind == param("kind", r.kind), r.bucket.in_(ids("buckets")),
                        r.organization_id.in_(ids("org_ids")), r.first_starts_at > param("now", r.first_starts_at))
                 .group_by(r.bucket, r.organization_id))
        return union_all(counts, later)

    result: dict[Key, int] = defaultdict(int)
    params = given(kind=kind, buckets=list(buckets), org_ids=list(org_ids), now=now)
    for bucket, org_id, n in db.session.execute(built("reach_people", make), params):
        result[(bucket, org_id)] += int(n)
    return {key: n for key, n in result.items() if n}


def distinct_people(kind: str, buckets: Sequence[int] | None, org_ids: Sequence[int], now: datetime, *,
                    by_unit: bool = True) -> dict[Any, int]:
    """Return distinct people over several buckets together (None: every bucket of the kind), per unit
    subtree, or over all the units together (key None) when not `by_unit`."""
    if not org_ids or (buckets is not None and not buckets):
        return {}

    def make() -> Any:
        r = PersonReach
        people = func.count(func.distinct(r.participant_id))
        stmt = select(r.organization_id if by_unit else null(), people).where(
            r.kind == param("kind", r.kind), r.organization_id.in_(ids("org_ids")),
            r.first_starts_at <= param("now", r.first_starts_at))
        if buckets is not None:
            stmt = stmt.where(r.bucket.in_(ids("buckets")))
        return stmt.group_by(r.organization_id) if by_unit else stmt

    params = given(kind=kind, org_ids=list(org_ids), now=now, buckets=None if buckets is None else list(buckets))
    stmt = built(("distinct_people", buckets is not None, by_unit), make)
    return {key: n for key, n in db.session.execute(stmt, params) if n}


def program_people(program_ids: Sequence[int], scope_path: str, now: datetime) -> dict[int, int]:
    """Return 人 per program within `scope_path` (empty: everywhere) counted by `now`."""
    units = scope_units(scope_path)
    if len(units) == 1:
        return {bucket: n for (bucket, _), n in reach_people("p", program_ids, units, now).items()}
    result: dict[int, int] = {}
    for pid in program_ids:  # several root units (never in a real tree): distinct across them
        result[pid] = distinct_people("p", [pid], units, now, by_unit=False).get(None, 0)
    return result


def people_in_period(org_ids: Sequence[int], program_ids: Sequence[int] | None, *, since: datetime, now: datetime,
                     by_program: bool) -> dict[Any, int]:
    """Distinct named people at counted events that started within [since, now] or at the programs' stations
    in that span, per org subtree (and program), read from the check-ins themselves (one grouped query)."""
    if not org_ids or (program_ids is not None and not program_ids):
        return {}
    m = memberships(program_ids)
    organizer, ancestor = aliased(Organization), aliased(Organization)
    keys = [ancestor.id.label("org_id"), m.c.program_id.label("program_id")] if by_program \
        else [ancestor.id.label("org_id")]
    at_events = (
        select(*keys, CheckIn.participant_id.label("participant_id")).select_from(m)
        .join(Event, Event.id == m.c.event_id)
        .join(CheckIn, and_(CheckIn.event_id == Event.id, counted_check_in()))
        .join(organizer, organizer.id == Event.organization_id)
        .join(ancestor, organizer.path.startswith(ancestor.path))
        .where(ancestor.id.in_(id_list(org_ids)), Event.status == PUBLISHED, Event.starts_at >= since,
               Event.starts_at <= now)
    )
    # UNION (distinct) with the period's station visitors: one worker at an event and a station is one 人.
    both = union(at_events, station_people_by_subtree(org_ids, program_ids=program_ids, by_program=by_program,
                                                      since=since, now=now)).subquery("people")
    out = [both.c.org_id, both.c.program_id] if by_program else [both.c.org_id]
    stmt = select(*out, func.count()).group_by(*out)
    return {(tuple(row[:2]) if by_program else row[0]): row[-1] for row in db.session.execute(stmt)}


def program_people_in_period(program_ids: Sequence[int], scope_path: str, *, since: datetime,
                             now: datetime) -> dict[int, int]:
    """Distinct people per program at its counted events started within [since, now] in `scope_path`,
    or at its stations in that span."""
    m = memberships(program_ids)
    at_events = (select(m.c.program_id.label("program_id"), CheckIn.participant_id.label("participant_id"))
                 .select_from(m).join(Event, Event.id == m.c.event_id)
                 .join(CheckIn, and_(CheckIn.event_id == Event.id, counted_check_in()))
                 .where(Event.status == PUBLISHED, Event.starts_at >= since, Event.starts_at <= now))
    if scope_path:
        org = aliased(Organization)
        at_events = at_events.join(org, org.id == Event.organization_id).where(org.path.startswith(scope_path))
    both = union(at_events, station_people_by_program(program_ids, scope_path=scope_path, since=since,
                                                      now=now)).subquery("people")
    counts: dict[int, int] = defaultdict(int)
    for pid, n in db.session.execute(select(both.c.program_id, func.count()).group_by(both.c.program_id)):
        counts[pid] = n
    return dict(counts)
