"""A series counted as one 项: what a 场次 target with `series_as_one` takes away from the sessions.

A series with n counted sessions (same rule as 场次: published, started) counts as 1 instead of n, so
n - 1 are taken away; by level, a series counts once at each level its counted sessions have.
Called from progress/queries.py's totals (overall and per subtree, so share targets get it too); grouped
queries driven by the series' events (series_event), then a sum over series (not events).
"""
from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, null, select
from sqlalchemy.orm import aliased

from eventsvc.core.built import built, given, ids, param
from eventsvc.core.timeutil import utcnow
from eventsvc.events.models import PUBLISHED, Event
from eventsvc.events.series_models import series_event
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization
from eventsvc.programs.models import Program
from eventsvc.progress.rollup import Rollup, by_membership, in_programs
from eventsvc.progress.totals import Totals

Sessions = dict[tuple[Any, int, str], int]  # (key, series, level) -> counted sessions


def _series_sessions(*columns: Any) -> Select[*tuple[Any, ...]]:
    """Counted sessions of series events, grouped later by `columns` then series and level."""
    # The IN is redundant to the join, but it lets SQLite's planner start from the series' events.
    return (select(*columns, series_event.c.series_id, Event.level, func.count(Event.id)).select_from(series_event)
            .join(Event, Event.id == series_event.c.event_id)
            .where(Event.status == PUBLISHED, Event.id.in_(select(series_event.c.event_id))))


def add_series_collapse(result: MutableMapping[int, Totals], program_ids: Sequence[int], *,
                        scope_path: str = "", now: datetime | None = None, since: datetime | None = None) -> None:
    """Fill Totals.series_collapse per program from the counted sessions of each series in it."""
    if not program_ids:
        return

    def build(pid_col: Any) -> Select[*tuple[Any, ...]]:
        stmt = _series_sessions(pid_col).where(Event.starts_at <= param("now", Event.starts_at))
        if since is not None:
            stmt = stmt.where(Event.starts_at >= param("since", Event.starts_at))
        if scope_path:
            org = aliased(Organization)
            stmt = stmt.join(org, org.id == Event.organization_id).where(
                org.path.startswith(param("scope_path", org.path)))
        return stmt.group_by(pid_col, series_event.c.series_id, Event.level)

    stmt = built(("series_collapse", since is not None, bool(scope_path)),
                 lambda: by_membership(build, ids("program_ids")))
    params = given(now=now or utcnow(), since=since, scope_path=scope_path, program_ids=list(program_ids))
    sessions: Sessions = {}
    for pid, series_id, level, n in db.session.execute(stmt, params):
        sessions[(pid, series_id, level)] = sessions.get((pid, series_id, level), 0) + n
    _collapse(result, sessions)


def _collapse(result: MutableMapping[Any, Totals], sessions: Sessions) -> None:
    """Fold (key, series_id, level) -> sessions into each key's Totals.series_collapse."""
    per_series: dict[tuple[Any, int], int] = {}
    for (key, series_id, level), n in sessions.items():
        totals = result[key] if key in result else result.setdefault(key, Totals())
        totals.series_collapse[level] = totals.series_collapse.get(level, 0) + n - 1
        per_series[(key, series_id)] = per_series.get((key, series_id), 0) + n
    for (key, _), n in per_series.items():
        collapse = result[key].series_collapse
        collapse[""] = collapse.get("", 0) + n - 1


def add_series_collapse_by_subtree(result: MutableMapping[Any, Totals], rollup: Rollup,
                                   program_ids: Sequence[int] | None, *, now: datetime,
                                   since: datetime | None = None, by_program: bool = False,
                                   year: int | None = None) -> None:
    """Fill series_collapse for each listed organization's subtree (keys as in totals_by_subtree): share
    targets. Sessions are grouped by organizing unit, then added up per listed organization above it."""
    if not rollup.above:
        return

    def build(pid_col: Any) -> Select[*tuple[Any, ...]]:
        stmt = _series_sessions(Event.organization_id, pid_col if by_program else null()).where(
            Event.starts_at <= param("now", Event.starts_at))
        if not rollup.everywhere:
            stmt = stmt.where(Event.organization_id.in_(ids("units")))
        if since is not None:
            stmt = stmt.where(Event.starts_at >= param("since", Event.starts_at))
        if year is not None:
            # A condition, not a join: by_membership joins event_program after this (PostgreSQL wants it first).
            stmt = stmt.where(pid_col.in_(select(Program.id).where(Program.year == param("year", Program.year))))
        keys = [Event.organization_id, pid_col] if by_program else [Event.organization_id]
        return stmt.group_by(*keys, series_event.c.series_id, Event.level)

    def make() -> Any:
        if by_program:
            return by_membership(build, None if program_ids is None else ids("program_ids"))
        # Across programs an event counts once: filter by membership, never join it.
        stmt = build(Event.program_id)
        return stmt if program_ids is None else stmt.where(in_programs(ids("program_ids")))

    stmt = built(("series_collapse_by_subtree", rollup.everywhere, since is not None, year is not None, by_program,
                  program_ids is not None), make)
    params = given(now=now, since=since, year=year, units=None if rollup.everywhere else rollup.units,
                   program_ids=None if program_ids is None else list(program_ids))
    sessions: Sessions = {}
    for unit, pid, series_id, level, n in db.session.execute(stmt, params):
        for key in rollup.keys(unit, pid, by_program=by_program):
            sessions[(key, series_id, level)] = sessions.get((key, series_id, level), 0) + n
    _collapse(result, sessions)
