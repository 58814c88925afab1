"""A series counted as one 项: what a 场次 target with `series_as_one` takes away from the sessions.

A series with n counted sessions (same rule as 场次: published, started) counts as 1 instead of n, so
n - 1 are taken away; by level, a series counts once at each level its counted sessions have.
Called from progress/queries.py's totals; one grouped query, then a sum over series (not events).
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
    per_series: dict[tuple[int, int], int] = {}
    for program_id, series_id, level, n in db.session.execute(
            stmt.group_by(pid, series_event.c.series_id, Event.level)):
        collapse = result.setdefault(program_id, Totals()).series_collapse
        collapse[level] = collapse.get(level, 0) + n - 1
        per_series[(program_id, series_id)] = per_series.get((program_id, series_id), 0) + n
    for (program_id, _), n in per_series.items():
        collapse = result[program_id].series_collapse
        collapse[""] = collapse.get("", 0) + n - 1
