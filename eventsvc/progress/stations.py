"""Station visits in program figures: 人次 with the composition label 驿站服务, distinct visitors as 人.

- A visit counts for the program its station chose for the visit's year (station_program), once: the
  unique (station, person, day) constraint makes it one per person per station per local day.
- Scope and rollup follow the station's unit, as an event's follow its organizer.
- 人: distinct people across the program's events AND stations: a worker met both at an event and at a
  station is one 人. Visits feed the maintained person_reach rows like check-ins do (progress/sync.py), so
  progress/people.py counts both at once; the station_people_* selects give (keys…, participant_id) rows
  that a period's count (people_in_period) UNIONs (distinct) with the check-ins of the period.

Called from progress/queries.py's totals; one grouped query per call for 人次, nothing per row.
"""
from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, and_, cast, func, select
from sqlalchemy.orm import aliased

from eventsvc.core.built import built, given, ids, param
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization
from eventsvc.programs.models import Program
from eventsvc.progress.rollup import Rollup, id_list
from eventsvc.progress.totals import Totals
from eventsvc.stations.models import Station, StationProgram, StationVisit


def _visits_with_program(since: Any = None, now: Any = None) -> Any:
    """Visits joined to the program their station counts them toward in the visit's year (within [since, now]:
    datetimes, or parameters of a kept statement)."""
    year = cast(func.extract("year", StationVisit.visit_date), Integer)
    stmt = select().select_from(StationVisit)
    if since is not None:
        stmt = stmt.where(StationVisit.visited_at >= since)
    if now is not None:
        stmt = stmt.where(StationVisit.visited_at <= now)
    return (stmt.join(Station, Station.id == StationVisit.station_id)
            .join(StationProgram, and_(StationProgram.station_id == StationVisit.station_id,
                                       StationProgram.year == year)))


def add_station_visits_by_program(result: MutableMapping[int, Totals], program_ids: Sequence[int], *,
                                  scope_path: str = "", since: datetime | None = None,
                                  now: datetime | None = None) -> None:
    """Add each program's station visits (人次, 驿站服务) within `scope_path` (人: see station_people_by_program)."""
    if not program_ids:
        return

    def make() -> Any:
        stmt = _visits_with_program(_param("since", since), _param("now", now)).add_columns(
            StationProgram.program_id, func.count(StationVisit.id)).where(
            StationProgram.program_id.in_(ids("program_ids")))
        if scope_path:
            org = aliased(Organization)
            stmt = stmt.join(org, org.id == Station.organization_id).where(
                org.path.startswith(param("scope_path", org.path)))
        return stmt.group_by(StationProgram.program_id)

    stmt = built(("station_visits_by_program", bool(scope_path), since is not None, now is not None), make)
    params = given(program_ids=list(program_ids), scope_path=scope_path, since=since, now=now)
    for pid, visits in db.session.execute(stmt, params):
        result.setdefault(pid, Totals()).add_attendance(stations=visits)


def _param(name: str, value: datetime | None) -> Any:
    """A visit time bound at execution, when the shape has one."""
    return None if value is None else param(name, StationVisit.visited_at)


def station_people_by_program(program_ids: Sequence[int], *, scope_path: str = "", since: datetime | None = None,
                              now: datetime | None = None) -> Any:
    """Return a select of (program_id, participant_id) rows: who visited the program's stations."""
    stmt = _visits_with_program(since, now).add_columns(
        StationProgram.program_id.label("program_id"), StationVisit.participant_id.label("participant_id")
    ).where(StationProgram.program_id.in_(id_list(program_ids)))
    if scope_path:
        org = aliased(Organization)
        stmt = stmt.join(org, org.id == Station.organization_id).where(org.path.startswith(scope_path))
    return stmt


def add_station_visits_by_subtree(result: MutableMapping[Any, Totals], rollup: Rollup, *,
                                  program_ids: Sequence[int] | None = None, year: int | None = None,
                                  by_program: bool = False, since: datetime | None = None,
                                  now: datetime | None = None) -> None:
    """Add station visits to each listed organization's subtree totals (keyed like totals_by_subtree):
    grouped by the station's unit, each unit's visits then add to every listed organization above it."""
    if not rollup.above:
        return
    def make() -> Any:
        stmt = _visits_with_program(_param("since", since), _param("now", now)).add_columns(
            Station.organization_id, StationProgram.program_id, func.count(StationVisit.id))
        if not rollup.everywhere:
            stmt = stmt.where(Station.organization_id.in_(ids("units")))
        if program_ids is not None:
            stmt = stmt.where(StationProgram.program_id.in_(ids("program_ids")))
        if year is not None:
            stmt = stmt.join(Program, Program.id == StationProgram.program_id).where(
                Program.year == param("year", Program.year))
        return stmt.group_by(Station.organization_id, StationProgram.program_id)

    stmt = built(("station_visits_by_subtree", rollup.everywhere, program_ids is not None, year is not None,
                  since is not None, now is not None), make)
    params = given(units=None if rollup.everywhere else rollup.units, year=year, since=since, now=now,
                   program_ids=None if program_ids is None else list(program_ids))
    for unit, pid, visits in db.session.execute(stmt, params):
        for key in rollup.keys(unit, pid, by_program=by_program):
            totals = result[key] if key in result else result.setdefault(key, Totals())
            totals.add_attendance(stations=visits)


def _subtree_visits(org_ids: Sequence[int], *, program_ids: Sequence[int] | None, year: int | None,
                    by_program: bool, since: datetime | None, now: datetime | None) -> tuple[Any, list[Any]]:
    """Visits joined to every listed ancestor of their station's unit; the select starts with the keys."""
    station_org, ancestor = aliased(Organization), aliased(Organization)
    keys = [ancestor.id.label("org_id"), StationProgram.program_id.label("program_id")] if by_program \
        else [ancestor.id.label("org_id")]
    stmt = (_visits_with_program(since, now).add_columns(*keys)
            .join(station_org, station_org.id == Station.organization_id)
            .join(ancestor, station_org.path.startswith(ancestor.path)).where(ancestor.id.in_(id_list(org_ids))))
    if program_ids is not None:
        stmt = stmt.where(StationProgram.program_id.in_(id_list(program_ids)))
    if year is not None:
        stmt = stmt.join(Program, Program.id == StationProgram.program_id).where(Program.year == year)
    return stmt, keys


def station_people_by_subtree(org_ids: Sequence[int], *, program_ids: Sequence[int] | None = None,
                              year: int | None = None, by_program: bool = False, since: datetime | None = None,
                              now: datetime | None = None) -> Any:
    """Return a select of (org_id[, program_id], participant_id) rows: who visited stations in each subtree."""
    stmt, _ = _subtree_visits(org_ids, program_ids=program_ids, year=year, by_program=by_program, since=since,
                              now=now)
    return stmt.add_columns(StationVisit.participant_id.label("participant_id"))


def program_station_rows(program: Program, scope_path: str = "") -> list[tuple[Station, int, int]]:
    """Return the stations whose visits count toward `program`, with their 人次 and 人 of its year."""
    stmt = (select(Station, func.count(StationVisit.id), func.count(func.distinct(StationVisit.participant_id)))
            .join(StationProgram, and_(StationProgram.station_id == Station.id,
                                       StationProgram.program_id == program.id, StationProgram.year == program.year))
            .outerjoin(StationVisit, and_(StationVisit.station_id == Station.id,
                                          cast(func.extract("year", StationVisit.visit_date), Integer) == program.year))
            .join(Organization, Organization.id == Station.organization_id))
    if scope_path:
        stmt = stmt.where(Organization.path.startswith(scope_path))
    return [(s, n, p) for s, n, p in db.session.execute(stmt.group_by(Station.id).order_by(Station.name))]
