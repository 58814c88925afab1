"""The counting rules, as grouped queries.

- 场次 (sessions): events of the program that are published (not draft, not cancelled) and have
  started (starts_at <= now). A draft was never held; a cancelled event never counts.
- 人次 (attendances): check-ins at those counted events (one per person per event, by constraint)
  + the headcounts reported on site (现场人数) + online viewers (线上人次); a target may count only some.
- 人 (participants): distinct people (phone numbers) across those events (named check-ins only) and the
  program's stations (visits): one worker met at both is one 人 (UNION, not a sum). A person counts
  once an event of the program they attended has started (or they visited a station).
- A check-in held for review (待核实: one phone checked in too many people) counts for neither until an
  organizer confirms it; pages show how many wait (pending_by_program, pending_in_scope).
- Custom units (份/个/名, 万元): the sum of the events' recorded quantities with the same label.
- Several programs: an event counts for its primary program and each additional one, once each.
- Reported figures (amounts, outcomes, rates) count once approved: see progress/reported.py.
- Rollup: an organization's figures include every event organized in its subtree (a community's
  events count for its street, the streets for the district).

How they are read (all maintained in the same transactions as the rows they count, checkin/counters.py
and progress/sync.py; `flask counts verify` proves them against the raw rows):
- 场次, the headcounts and 扫码人次 come from the tallies (progress/tally.py): sums of published events per
  organizer, program and level, less the events not started by `now` (few, through an index). Nothing
  reads a year of events, nothing scans check-ins; 待核实 sums the per-event counters (event_count).
- 人 comes from reach_count minus the person_reach rows whose first start is still to come
  (progress/people.py); several programs at once count distinct person_reach rows.
- Subtree figures group by organizing unit and add each unit's row to the listed units above it
  (progress/rollup.py); quantities, series and station visits are grouped queries driven by their
  own (small) tables.
- A period (`since`) reads that period's events for 场次/人次 and its check-ins and visits for 人.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVarTuple

from sqlalchemy import Select, func, null, select
from sqlalchemy.orm import aliased

from eventsvc.checkin.counters import PROGRAM, EventCount
from eventsvc.core.built import built, everywhere, given, ids, param
from eventsvc.core.figures import from_hundredths, to_hundredths
from eventsvc.core.timeutil import utcnow
from eventsvc.events.models import PUBLISHED, Event, EventQuantity
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization
from eventsvc.programs.models import CUSTOM, Program, Target
from eventsvc.progress.people import (
    distinct_people,
    people_in_period,
    program_people,
    program_people_in_period,
    reach_people,
)
from eventsvc.progress.reported import add_reported_by_program, add_reported_by_subtree
from eventsvc.progress.rollup import Rollup, by_membership, id_list, in_programs, memberships
from eventsvc.progress.series import add_series_collapse, add_series_collapse_by_subtree
from eventsvc.progress.stations import add_station_visits_by_program, add_station_visits_by_subtree
from eventsvc.progress.tally import tally_sums
from eventsvc.progress.totals import TargetProgress, Totals, measure

__all__ = ["TargetProgress", "Totals", "measure", "memberships"]  # re-exported: callers import them from here


# Any select, whatever its columns: the helpers below only add WHERE and JOIN clauses.
_Cols = TypeVarTuple("_Cols")


def _counted(stmt: Select[*_Cols], now: Any, since: Any = None) -> Select[*_Cols]:
    """Only counted events by `now` (datetimes, or a kept statement's parameters)."""
    stmt = stmt.where(Event.status == PUBLISHED, Event.starts_at <= now)
    # A period report counts events that started within [since, now]; now is then the period's end.
    return stmt if since is None else stmt.where(Event.starts_at >= since)


def _scoped(stmt: Select[*_Cols], scope_path: Any) -> Select[*_Cols]:
    """Only events organized within `scope_path` (a path, "" for all, or a kept statement's parameter)."""
    if everywhere(scope_path):
        return stmt
    org = aliased(Organization)
    return stmt.join(org, org.id == Event.organization_id).where(org.path.startswith(scope_path))


def _add_sessions(totals: Totals, level: str, n: int, onsite: Any, online: Any, checkins: Any) -> None:
    totals.sessions += n
    totals.sessions_by_level[level] = totals.sessions_by_level.get(level, 0) + n
    totals.add_attendance(onsite=onsite, online=online, checkins=checkins)  # 待核实 ones count once confirmed


# 场次 by level, the reported headcounts, and the counted check-ins (人次) of the same events (a period).
_SESSION_COLUMNS = (Event.level, func.count(Event.id), func.sum(Event.onsite_count), func.sum(Event.online_count),
                    func.sum(EventCount.checkins))


# Redundant to the join, but it lets SQLite's planner start from the (few) recorded quantities rather than
# walk every published event through the status index.
_WITH_QUANTITIES = select(EventQuantity.event_id)


def _add_quantity(totals: Totals, label: str, value: Any) -> None:
    """Add a recorded quantity, exactly (in hundredths)."""
    before = to_hundredths(totals.quantities.get(label, 0))
    totals.quantities[label] = from_hundredths(before + to_hundredths(value or 0))


def _units_in(scope_path: str) -> list[int] | None:
    """The organizing units within `scope_path` (None: everywhere)."""
    if not scope_path:
        return None
    return list(db.session.scalars(select(Organization.id).where(Organization.path.startswith(scope_path))))


def _programs_of(program_ids: Sequence[int] | None, year: int | None) -> list[int] | None:
    """The listed programs of that year (every program of it when none are listed; None: no filter)."""
    if year is None:
        return None if program_ids is None else list(program_ids)
    stmt = select(Program.id).where(Program.year == year)
    return list(db.session.scalars(stmt if program_ids is None else stmt.where(Program.id.in_(id_list(program_ids)))))


def totals_by_program(
    program_ids: Sequence[int], *, now: datetime | None = None, scope_path: str = "",
    since: datetime | None = None, months: tuple[date, date] | None = None,
) -> dict[int, Totals]:
    """Return Totals per program, counting only events within `scope_path` (empty: all).

    With `since`, only events that started from then on count; `months` (first days of the first and
    last month) limits reported figures to those months — together they make a period's figures.
    """
    now = now or utcnow()
    result: dict[int, Totals] = {pid: Totals() for pid in program_ids}
    if not program_ids:
        return result
    if since is None:  # the tallies: every published event, less those not started by now
        for (pid, level), s in tally_sums(PROGRAM, program_ids, now, by=("bucket", "level"),
                                          units=_units_in(scope_path)).items():
            _add_sessions(result[pid], level, s.sessions, s.onsite, s.online, s.checkins)
        people = program_people(program_ids, scope_path, now)
    else:
        m = memberships(program_ids)
        sessions = _scoped(_counted(select(m.c.program_id, *_SESSION_COLUMNS).select_from(m)
                                    .join(Event, Event.id == m.c.event_id), now, since), scope_path)
        sessions = sessions.outerjoin(EventCount, EventCount.event_id == Event.id)
        for pid, level, n, onsite, online, checkins in db.session.execute(
                sessions.group_by(m.c.program_id, Event.level)):
            _add_sessions(result[pid], level, n, onsite, online, checkins)
        people = program_people_in_period(program_ids, scope_path, since=since, now=now)
    for pid, n in people.items():
        result[pid].participants = n

    def quantities(pid_col: Any) -> Select[*tuple[Any, ...]]:
        stmt = (select(pid_col, EventQuantity.label, func.sum(EventQuantity.value)).select_from(EventQuantity)
                .join(Event, Event.id == EventQuantity.event_id).where(Event.id.in_(_WITH_QUANTITIES)))
        stmt = _counted(stmt, param("now", Event.starts_at), None if since is None else param("since", Event.starts_at))
        return _scoped(stmt, param("scope_path", Organization.path) if scope_path else "").group_by(
            pid_col, EventQuantity.label)

    stmt = built(("quantities_by_program", since is not None, bool(scope_path)),
                 lambda: by_membership(quantities, ids("program_ids")))
    params = given(program_ids=list(program_ids), now=now, since=since, scope_path=scope_path)
    for pid, label, total in db.session.execute(stmt, params):
        _add_quantity(result[pid], label, total)
    add_reported_by_program(result, program_ids, scope_path=scope_path, months=months)
    add_station_visits_by_program(result, program_ids, scope_path=scope_path, since=since, now=now)
    add_series_collapse(result, program_ids, scope_path=scope_path, now=now, since=since)
    return result


def _by_unit(columns: Sequence[Any], extra_keys: Sequence[Any], *, by_program: bool, now: Any, since: Any,
             units: Any, program_ids: Any, year: Any, counts: bool = False,
             quantities: bool = False) -> Select[*tuple[Any, ...]]:
    """Counted events' `columns` grouped by organizing unit (and program with `by_program`), then
    `extra_keys`; `counts` joins each event's counters, `quantities` its recorded quantities. Filters are
    values, or a kept statement's parameters; None leaves one out."""
    # Per program, an event counts for each of its programs; across programs it counts once.
    m = memberships(program_ids) if by_program else None
    pid_col = m.c.program_id if m is not None else Event.program_id
    stmt = select(Event.organization_id, pid_col if by_program else null(), *columns)
    stmt = stmt.select_from(m).join(Event, Event.id == m.c.event_id) if m is not None else stmt.select_from(Event)
    stmt = _counted(stmt, now, since)
    if units is not None:
        stmt = stmt.where(Event.organization_id.in_(id_list(units)))
    if program_ids is not None and m is None:
        stmt = stmt.where(in_programs(program_ids))
    if year is not None:
        stmt = stmt.join(Program, Program.id == pid_col).where(Program.year == year)
    if counts:
        stmt = stmt.outerjoin(EventCount, EventCount.event_id == Event.id)
    if quantities:
        stmt = stmt.join(EventQuantity, EventQuantity.event_id == Event.id).where(Event.id.in_(_WITH_QUANTITIES))
    keys = [Event.organization_id, pid_col] if by_program else [Event.organization_id]
    return stmt.group_by(*keys, *extra_keys)


def totals_by_subtree(
    org_ids: Sequence[int],
    *,
    program_ids: Sequence[int] | None = None,
    year: int | None = None,
    now: datetime | None = None,
    by_program: bool = False,
    since: datetime | None = None,
    months: tuple[date, date] | None = None,
) -> dict[Any, Totals]:
    """Return Totals for each organization's whole subtree (rolled up), keyed by org id.

    With by_program=True the key is (org_id, program_id). One grouped query per figure, by organizing
    unit; each unit's row then adds to every listed organization above it (progress/rollup.py).
    """
    now = now or utcnow()
    result: dict[Any, Totals] = defaultdict(Totals)
    if not org_ids:
        return result
    rollup = Rollup(org_ids)
    units = None if rollup.everywhere else rollup.units

    def rows(stmt: Any, params: Mapping[str, Any] | None = None) -> Iterable[tuple[Totals, Sequence[Any]]]:
        """Each grouped row, once for every listed organization whose subtree holds its unit."""
        for unit, pid, *values in db.session.execute(stmt, params):
            for key in rollup.keys(unit, pid, by_program=by_program):
                yield result[key], values

    if since is None and (by_program or program_ids is None or len(program_ids) == 1):
        # The tallies: per program each membership row, across programs the primary ones (each event once).
        buckets = _programs_of(program_ids, year)
        if buckets is None:
            buckets = list(db.session.scalars(select(Program.id)))
        by = ("organization_id", "bucket", "level") if by_program else ("organization_id", "level")
        sums = tally_sums(PROGRAM, buckets, now, by=by, units=units,
                          primary_only=not by_program and program_ids is None)
        for group, s in sums.items():
            unit, pid, level = group if by_program else (group[0], None, group[1])
            for key in rollup.keys(unit, pid, by_program=by_program):
                _add_sessions(result[key], level, s.sessions, s.onsite, s.online, s.checkins)
    else:
        sessions = _by_unit(_SESSION_COLUMNS, [Event.level], by_program=by_program, now=now, since=since,
                            units=units, program_ids=program_ids, year=year, counts=True)
        for totals, (level, n, onsite, online, checkins) in rows(sessions):
            _add_sessions(totals, level, n, onsite, online, checkins)
    quantities = built(
        ("quantities_by_unit", by_program, since is not None, units is not None, program_ids is not None,
         year is not None),
        lambda: _by_unit(
            (EventQuantity.label, func.sum(EventQuantity.value)), [EventQuantity.label], by_program=by_program,
            now=param("now", Event.starts_at), since=None if since is None else param("since", Event.starts_at),
            units=None if units is None else ids("units"),
            program_ids=None if program_ids is None else ids("program_ids"),
            year=None if year is None else param("year", Program.year), quantities=True))
    params = given(now=now, since=since, units=units, year=year,
                   program_ids=None if program_ids is None else list(program_ids))
    for totals, (label, total) in rows(quantities, params):
        _add_quantity(totals, label, total)

    for key, n in _people_by_subtree(org_ids, program_ids, year, by_program, now, since).items():
        result[key].participants = n
    if program_ids is not None or by_program:  # figures are per program: none for a whole year's rollup
        add_reported_by_subtree(result, org_ids, program_ids, by_program=by_program, months=months)
    add_station_visits_by_subtree(result, rollup, program_ids=program_ids, year=year, by_program=by_program,
                                  since=since, now=now)
    # Share targets (an organization's part) count a series as one 项 as the overall targets do.
    add_series_collapse_by_subtree(result, rollup, program_ids, now=now, since=since, by_program=by_program,
                                   year=year)
    return result


def _people_by_subtree(
    org_ids: Sequence[int], program_ids: Sequence[int] | None, year: int | None, by_program: bool, now: datetime,
    since: datetime | None = None,
) -> dict[Any, int]:
    """Distinct people per organization subtree (and program), keyed like totals_by_subtree."""
    if year is not None and (program_ids is not None or by_program or since is not None):
        program_ids = _programs_of(program_ids, year)  # the programs of that year only
    if since is not None:
        return people_in_period(org_ids, program_ids, since=since, now=now, by_program=by_program)
    if by_program:
        if program_ids is None:
            program_ids = list(db.session.scalars(select(Program.id)))
        return {(org_id, pid): n for (pid, org_id), n in reach_people("p", program_ids, org_ids, now).items()}
    if program_ids is None and year is not None:  # a year's programs together: its own counts
        return {org_id: n for (_, org_id), n in reach_people("y", [year], org_ids, now).items()}
    if program_ids is not None and len(program_ids) == 1:
        return {org_id: n for (_, org_id), n in reach_people("p", program_ids, org_ids, now).items()}
    if program_ids is None:  # every year together
        return distinct_people("y", None, org_ids, now)
    return distinct_people("p", program_ids, org_ids, now)


def target_progress(
    program: Program,
    overall: Totals,
    by_org: dict[Any, Totals],
    *,
    visible: Iterable[Target] | None = None,
) -> list[TargetProgress]:
    """Pair each target with its achieved figure: overall targets with the program's totals,
    organization shares with that organization's subtree totals (`by_org` keyed by org id)."""
    rows = []
    for target in (visible if visible is not None else program.targets):
        totals = overall if target.organization_id is None else by_org.get(target.organization_id, Totals())
        rows.append(measure(target, totals))
    return rows


def event_attendance(event_ids: Sequence[int]) -> dict[int, int]:
    """Return check-in counts (人次) per event, in one grouped query."""
    if not event_ids:
        return {}
    stmt = select(EventCount.event_id, EventCount.checkins).where(EventCount.event_id.in_(id_list(event_ids)))
    return {eid: n for eid, n in db.session.execute(stmt) if n}


def pending_by_program(program_ids: Sequence[int], *, scope_path: str = "") -> dict[int, int]:
    """Return how many check-ins wait for review (待核实, not counted) per program, within `scope_path`."""
    if not program_ids:
        return {}

    # A lookup per event of the program (its index), where a join lets PostgreSQL read all of event_count.
    per_event = select(EventCount.pending).where(EventCount.event_id == Event.id).scalar_subquery()

    def pending(pid_col: Any) -> Select[*tuple[Any, ...]]:
        return _scoped(select(pid_col, func.sum(per_event)).select_from(Event), scope_path).group_by(pid_col)

    result: dict[int, int] = defaultdict(int)
    for pid, n in db.session.execute(by_membership(pending, program_ids)):
        result[pid] += int(n or 0)
    return {pid: n for pid, n in result.items() if n}


def pending_in_scope(scope_path: str = "", *, event_ids: Sequence[int] | None = None) -> int:
    """Return how many check-ins wait for review within `scope_path` (or among `event_ids`)."""
    stmt = select(func.sum(EventCount.pending))
    if scope_path:
        stmt = _scoped(stmt.select_from(EventCount).join(Event, Event.id == EventCount.event_id), scope_path)
    if event_ids is not None:
        stmt = stmt.where(EventCount.event_id.in_(id_list(event_ids)))
    return int(db.session.scalar(stmt) or 0)


def custom_labels(targets: Iterable[Target]) -> list[str]:
    """Return the custom-unit labels of a set of targets, in order, once each."""
    labels: list[str] = []
    for t in targets:
        if t.metric == CUSTOM and t.label not in labels:
            labels.append(t.label)
    return labels
