"""The counting rules, as grouped queries.

- 场次 (sessions): events of the program that are published (not draft, not cancelled) and have
  started (starts_at <= now). A draft was never held; a cancelled event never counts.
- 人次 (attendances): check-ins at those counted events (one per person per event, by constraint).
- 人 (participants): distinct people (phone numbers) across those events.
- Custom units (份/个/名): the sum of the events' recorded quantities with the same label.
- Rollup: an organization's figures include every event organized in its subtree (a community's
  events count for its street, the streets for the district).

Every figure comes from a GROUP BY over indexed columns; nothing loops over events in Python.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVarTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from eventsvc.checkin.models import CheckIn
from eventsvc.core.timeutil import utcnow
from eventsvc.events.models import PUBLISHED, Event, EventQuantity
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization
from eventsvc.programs.models import (
    ATTENDANCES,
    CUSTOM,
    PARTICIPANTS,
    SESSIONS,
    Program,
    Target,
)


@dataclass
class Totals:
    """What a set of counted events achieved."""

    sessions: int = 0
    attendances: int = 0
    participants: int = 0
    sessions_by_level: dict[str, int] = field(default_factory=dict)
    quantities: dict[str, int] = field(default_factory=dict)

    def value_for(self, target: Target) -> int:
        """Return the achieved figure a target is measured against."""
        if target.metric == SESSIONS:
            return self.sessions_by_level.get(target.level, 0) if target.level else self.sessions
        if target.metric == ATTENDANCES:
            return self.attendances
        if target.metric == PARTICIPANTS:
            return self.participants
        return self.quantities.get(target.label, 0)


@dataclass
class TargetProgress:
    """One target against what was achieved."""

    target: Target
    done: int

    @property
    def goal(self) -> int:
        return self.target.value

    @property
    def percent(self) -> float:
        return round(100.0 * self.done / self.goal, 1) if self.goal else 0.0

    @property
    def bar_percent(self) -> float:
        return min(100.0, self.percent)

    @property
    def remaining(self) -> int:
        return max(0, self.goal - self.done)

    @property
    def is_met(self) -> bool:
        return self.done >= self.goal


# Any select, whatever its columns: the helpers below only add WHERE and JOIN clauses.
_Cols = TypeVarTuple("_Cols")


def _counted(stmt: Select[*_Cols], now: datetime) -> Select[*_Cols]:
    return stmt.where(Event.status == PUBLISHED, Event.starts_at <= now)


def _scoped(stmt: Select[*_Cols], scope_path: str) -> Select[*_Cols]:
    if not scope_path:
        return stmt
    org = aliased(Organization)
    return stmt.join(org, org.id == Event.organization_id).where(org.path.startswith(scope_path))


def totals_by_program(
    program_ids: Sequence[int], *, now: datetime | None = None, scope_path: str = ""
) -> dict[int, Totals]:
    """Return Totals per program, counting only events within `scope_path` (empty: all)."""
    now = now or utcnow()
    result: dict[int, Totals] = {pid: Totals() for pid in program_ids}
    if not program_ids:
        return result
    where = Event.program_id.in_(program_ids)

    sessions = _scoped(_counted(select(Event.program_id, Event.level, func.count(Event.id)), now), scope_path)
    for pid, level, n in db.session.execute(sessions.where(where).group_by(Event.program_id, Event.level)):
        result[pid].sessions += n
        result[pid].sessions_by_level[level] = result[pid].sessions_by_level.get(level, 0) + n

    people = _scoped(_counted(
        select(Event.program_id, func.count(CheckIn.id), func.count(func.distinct(CheckIn.participant_id)))
        .join(CheckIn, CheckIn.event_id == Event.id), now), scope_path)
    for pid, attendances, participants in db.session.execute(people.where(where).group_by(Event.program_id)):
        result[pid].attendances = attendances
        result[pid].participants = participants

    quantities = _scoped(_counted(
        select(Event.program_id, EventQuantity.label, func.sum(EventQuantity.value))
        .join(EventQuantity, EventQuantity.event_id == Event.id), now), scope_path)
    for pid, label, total in db.session.execute(
        quantities.where(where).group_by(Event.program_id, EventQuantity.label)
    ):
        result[pid].quantities[label] = int(total or 0)
    return result


def totals_by_subtree(
    org_ids: Sequence[int],
    *,
    program_ids: Sequence[int] | None = None,
    year: int | None = None,
    now: datetime | None = None,
    by_program: bool = False,
) -> dict[Any, Totals]:
    """Return Totals for each organization's whole subtree (rolled up), keyed by org id.

    With by_program=True the key is (org_id, program_id). One grouped query per figure: events
    join their organizer, which joins every listed ancestor whose path prefixes it.
    """
    now = now or utcnow()
    result: dict[Any, Totals] = defaultdict(Totals)
    if not org_ids:
        return result
    organizer = aliased(Organization)
    ancestor = aliased(Organization)

    def base(*columns: Any) -> Select[*tuple[Any, ...]]:
        keys = [ancestor.id, Event.program_id] if by_program else [ancestor.id]
        stmt = (
            select(*keys, *columns)
            .select_from(Event)
            .join(organizer, organizer.id == Event.organization_id)
            .join(ancestor, organizer.path.startswith(ancestor.path))
            .where(ancestor.id.in_(org_ids))
        )
        stmt = _counted(stmt, now)
        if program_ids is not None:
            stmt = stmt.where(Event.program_id.in_(program_ids))
        if year is not None:
            stmt = stmt.join(Program, Program.id == Event.program_id).where(Program.year == year)
        return stmt

    def key(row: Sequence[Any]) -> Any:
        return (row[0], row[1]) if by_program else row[0]

    width = 2 if by_program else 1
    group_keys = [ancestor.id, Event.program_id] if by_program else [ancestor.id]

    for row in db.session.execute(base(Event.level, func.count(Event.id)).group_by(*group_keys, Event.level)):
        level, n = row[width], row[width + 1]
        totals = result[key(row)]
        totals.sessions += n
        totals.sessions_by_level[level] = totals.sessions_by_level.get(level, 0) + n

    people = base(func.count(CheckIn.id), func.count(func.distinct(CheckIn.participant_id))).join(
        CheckIn, CheckIn.event_id == Event.id
    )
    for row in db.session.execute(people.group_by(*group_keys)):
        result[key(row)].attendances = row[width]
        result[key(row)].participants = row[width + 1]

    quantities = base(EventQuantity.label, func.sum(EventQuantity.value)).join(
        EventQuantity, EventQuantity.event_id == Event.id
    )
    for row in db.session.execute(quantities.group_by(*group_keys, EventQuantity.label)):
        result[key(row)].quantities[row[width]] = int(row[width + 1] or 0)
    return result


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
        if target.organization_id is None:
            done = overall.value_for(target)
        else:
            done = by_org.get(target.organization_id, Totals()).value_for(target)
        rows.append(TargetProgress(target, done))
    return rows


def event_attendance(event_ids: Sequence[int]) -> dict[int, int]:
    """Return check-in counts (人次) per event, in one grouped query."""
    if not event_ids:
        return {}
    stmt = select(CheckIn.event_id, func.count(CheckIn.id)).where(CheckIn.event_id.in_(event_ids)).group_by(
        CheckIn.event_id
    )
    return {eid: n for eid, n in db.session.execute(stmt)}


def custom_labels(targets: Iterable[Target]) -> list[str]:
    """Return the custom-unit labels of a set of targets, in order, once each."""
    labels: list[str] = []
    for t in targets:
        if t.metric == CUSTOM and t.label not in labels:
            labels.append(t.label)
    return labels
