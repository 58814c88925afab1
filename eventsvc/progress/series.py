"""A series counted as one 项: what a 场次 target with `series_as_one` takes away from the sessions.

A series with n counted sessions (same rule as 场次: published, started) counts as 1 instead of n, so
n - 1 are taken away; by level, a series counts once at each level its counted sessions have.
Called from progress/queries.py's totals (overall and per subtree, so share targets get it too); one
grouped query, then a sum over series (not events).
"""
from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from eventsvc.core.timeutil import utcnow
from eventsvc.events.models import PUBLISHED, Event
from eventsvc.events.series_models import series_event
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization
from eventsvc.programs.models import Program
from eventsvc.progress.totals import Totals


def add_series_collapse(result: MutableMapping[int, Totals], program_ids: Sequence[int], membership: Any, *,
                        scope_path: str = "", now: datetime | None = None, since: datetime | None = None) -> None:
    """Fill Totals.series_collapse per program from the counted sessions of each series in it."""
    if not program_ids:
        return
    now = now or utcnow()
    pid = membership.c.program_id
    stmt = (select(pid, series_event.c.series_id, Event.level, func.count(Event.id))
            .select_from(membership).join(Event, Event.id == membership.c.event_id)
            .join(series_event, series_event.c.event_id == Event.id)
            .where(Event.status == PUBLISHED, Event.starts_at <= now))
    if since is not None:
        stmt = stmt.where(Event.starts_at >= since)
    if scope_path:
        org = aliased(Organization)
        stmt = stmt.join(org, org.id == Event.organization_id).where(org.path.startswith(scope_path))
    _collapse(result, db.session.execute(stmt.group_by(pid, series_event.c.series_id, Event.level)), 1)


def _collapse(result: MutableMapping[Any, Totals], rows: Any, width: int) -> None:
    """Fold rows of (key…, series_id, level, sessions) into each key's Totals.series_collapse."""
    per_series: dict[tuple[Any, int], int] = {}
    for row in rows:
        key = tuple(row[:width]) if width > 1 else row[0]
        series_id, level, n = row[width], row[width + 1], row[width + 2]
        totals = result[key] if key in result else result.setdefault(key, Totals())
        totals.series_collapse[level] = totals.series_collapse.get(level, 0) + n - 1
        per_series[(key, series_id)] = per_series.get((key, series_id), 0) + n
    for (key, _), n in per_series.items():
        collapse = result[key].series_collapse
        collapse[""] = collapse.get("", 0) + n - 1


def add_series_collapse_by_subtree(result: MutableMapping[Any, Totals], org_ids: Sequence[int], membership: Any, *,
                                   now: datetime, since: datetime | None = None, by_program: bool = False,
                                   year: int | None = None) -> None:
    """Fill series_collapse for each organization's subtree (keys as in totals_by_subtree): share targets."""
    if not org_ids:
        return
    organizer, ancestor = aliased(Organization), aliased(Organization)
    keys = [ancestor.id, membership.c.program_id] if by_program else [ancestor.id]
    if by_program:
        stmt = select(*keys).select_from(membership).join(Event, Event.id == membership.c.event_id)
        program_col = membership.c.program_id
    else:  # across programs an event counts once: filter by membership, never join it
        stmt = select(*keys).select_from(Event).where(Event.id.in_(select(membership.c.event_id)))
        program_col = Event.program_id
    stmt = (stmt.add_columns(series_event.c.series_id, Event.level, func.count(Event.id))
            .join(series_event, series_event.c.event_id == Event.id)
            .join(organizer, organizer.id == Event.organization_id)
            .join(ancestor, organizer.path.startswith(ancestor.path))
            .where(ancestor.id.in_(org_ids), Event.status == PUBLISHED, Event.starts_at <= now))
    if since is not None:
        stmt = stmt.where(Event.starts_at >= since)
    if year is not None:
        stmt = stmt.join(Program, Program.id == program_col).where(Program.year == year)
    rows = db.session.execute(stmt.group_by(*keys, series_event.c.series_id, Event.level))
    _collapse(result, rows, len(keys))
