"""The counting rules, as grouped queries.

- 场次 (sessions): events of the program that are published (not draft, not cancelled) and have
  started (starts_at <= now). A draft was never held; a cancelled event never counts.
- 人次 (attendances): check-ins at those counted events (one per person per event, by constraint)
  + the headcounts reported on site (现场人数) + online viewers (线上人次); a target may count only some.
- 人 (participants): distinct people (phone numbers) across those events (named check-ins only) and the
  program's stations (visits): one worker met at both is one 人 (UNION, not a sum).
- A check-in held for review (待核实: one phone checked in too many people) counts for neither until an
  organizer confirms it; pages show how many wait (pending_by_program, pending_in_scope).
- Custom units (份/个/名, 万元): the sum of the events' recorded quantities with the same label.
- Several programs: an event counts for its primary program and each additional one, once each.
- Reported figures (amounts, outcomes, rates) count once approved: see progress/reported.py.
- Rollup: an organization's figures include every event organized in its subtree (a community's
  events count for its street, the streets for the district).

Every figure comes from a GROUP BY over indexed columns; nothing loops over events in Python, and
nothing scans check-ins: 人次 and 待核实 sum the per-event counters, 人 counts program_participant rows
(checkin/counters.py, kept in the check-ins' own transactions; `flask counts verify` proves them).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, TypeVarTuple

from sqlalchemy import Select, Subquery, func, select, union
from sqlalchemy.orm import aliased

from eventsvc.checkin.counters import EventCount, ProgramParticipant
from eventsvc.core.timeutil import utcnow
from eventsvc.events.models import PUBLISHED, Event, EventQuantity, event_program
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization
from eventsvc.programs.models import CUSTOM, Program, Target
from eventsvc.progress.reported import add_reported_by_program, add_reported_by_subtree
from eventsvc.progress.series import add_series_collapse, add_series_collapse_by_subtree
from eventsvc.progress.stations import (
    add_station_visits_by_program,
    add_station_visits_by_subtree,
    station_people_by_program,
    station_people_by_subtree,
)
from eventsvc.progress.totals import TargetProgress, Totals, measure

__all__ = ["TargetProgress", "Totals", "measure"]  # re-exported: callers import them from here


# Any select, whatever its columns: the helpers below only add WHERE and JOIN clauses.
_Cols = TypeVarTuple("_Cols")


def _counted(stmt: Select[*_Cols], now: datetime, since: datetime | None = None) -> Select[*_Cols]:
    stmt = stmt.where(Event.status == PUBLISHED, Event.starts_at <= now)
    # A period report counts events that started within [since, now]; now is then the period's end.
    return stmt if since is None else stmt.where(Event.starts_at >= since)


def _scoped(stmt: Select[*_Cols], scope_path: str) -> Select[*_Cols]:
    if not scope_path:
        return stmt
    org = aliased(Organization)
    return stmt.join(org, org.id == Event.organization_id).where(org.path.startswith(scope_path))


def memberships(program_ids: Sequence[int] | None = None) -> Subquery:
    """Return (event_id, program_id) rows: each event's primary program and its additional ones.

    UNION (not UNION ALL) so an event listed twice for one program still counts once.
    """
    primary = select(Event.id.label("event_id"), Event.program_id.label("program_id"))
    extra = select(event_program.c.event_id, event_program.c.program_id)
    if program_ids is not None:
        primary = primary.where(Event.program_id.in_(program_ids))
        extra = extra.where(event_program.c.program_id.in_(program_ids))
    return union(primary, extra).subquery("membership")


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
    m = memberships(program_ids)
    pid_col = m.c.program_id

    def base(*columns: Any) -> Select[*tuple[Any, ...]]:
        stmt = select(pid_col, *columns).select_from(m).join(Event, Event.id == m.c.event_id)
        return _scoped(_counted(stmt, now, since), scope_path)

    sessions = base(Event.level, func.count(Event.id), func.sum(Event.onsite_count), func.sum(Event.online_count))
    for pid, level, n, onsite, online in db.session.execute(sessions.group_by(pid_col, Event.level)):
        result[pid].sessions += n
        result[pid].sessions_by_level[level] = result[pid].sessions_by_level.get(level, 0) + n
        result[pid].add_attendance(onsite=onsite, online=online)

    attendances = base(func.sum(EventCount.checkins)).join(EventCount, EventCount.event_id == Event.id)
    for pid, checkins in db.session.execute(attendances.group_by(pid_col)):  # 待核实 ones count once confirmed
        result[pid].add_attendance(checkins=checkins)
    pp = ProgramParticipant
    people = select(pp.program_id.label("program_id"), pp.participant_id.label("participant_id")).where(
        pp.program_id.in_(program_ids), pp.first_starts_at <= now)
    if scope_path:
        org = aliased(Organization)
        people = people.join(org, org.id == pp.organization_id).where(org.path.startswith(scope_path))
    # UNION (distinct): a worker met at an event and at a station of the program is one 人.
    both = union(people, station_people_by_program(program_ids, scope_path=scope_path, since=since,
                                                   now=now)).subquery("people")
    for pid, participants in db.session.execute(
            select(both.c.program_id, func.count()).group_by(both.c.program_id)):
        result[pid].participants = participants

    quantities = base(EventQuantity.label, func.sum(EventQuantity.value)).join(
        EventQuantity, EventQuantity.event_id == Event.id
    )
    for pid, label, total in db.session.execute(quantities.group_by(pid_col, EventQuantity.label)):
        result[pid].quantities[label] = total or 0
    add_reported_by_program(result, program_ids, scope_path=scope_path, months=months)
    add_station_visits_by_program(result, program_ids, scope_path=scope_path, since=since, now=now)
    add_series_collapse(result, program_ids, m, scope_path=scope_path, now=now, since=since)
    return result


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

    With by_program=True the key is (org_id, program_id). One grouped query per figure: events
    join their organizer, which joins every listed ancestor whose path prefixes it.
    """
    now = now or utcnow()
    result: dict[Any, Totals] = defaultdict(Totals)
    if not org_ids:
        return result
    organizer = aliased(Organization)
    ancestor = aliased(Organization)

    # Per program, an event counts for each of its programs; across programs it counts once.
    m = memberships(program_ids) if by_program else None
    pid_col = m.c.program_id if m is not None else Event.program_id

    def base(*columns: Any) -> Select[*tuple[Any, ...]]:
        keys = [ancestor.id, pid_col] if by_program else [ancestor.id]
        stmt = select(*keys, *columns)
        stmt = (stmt.select_from(m).join(Event, Event.id == m.c.event_id) if m is not None
                else stmt.select_from(Event))
        stmt = (
            stmt.join(organizer, organizer.id == Event.organization_id)
            .join(ancestor, organizer.path.startswith(ancestor.path))
            .where(ancestor.id.in_(org_ids))
        )
        stmt = _counted(stmt, now, since)
        if program_ids is not None and m is None:
            stmt = stmt.where(Event.id.in_(select(memberships(program_ids).c.event_id)))
        if year is not None:
            stmt = stmt.join(Program, Program.id == pid_col).where(Program.year == year)
        return stmt

    def key(row: Sequence[Any]) -> Any:
        return (row[0], row[1]) if by_program else row[0]

    width = 2 if by_program else 1
    group_keys = [ancestor.id, pid_col] if by_program else [ancestor.id]

    sessions = base(Event.level, func.count(Event.id), func.sum(Event.onsite_count), func.sum(Event.online_count))
    for row in db.session.execute(sessions.group_by(*group_keys, Event.level)):
        level, n = row[width], row[width + 1]
        totals = result[key(row)]
        totals.sessions += n
        totals.sessions_by_level[level] = totals.sessions_by_level.get(level, 0) + n
        totals.add_attendance(onsite=row[width + 2], online=row[width + 3])

    attendances = base(func.sum(EventCount.checkins)).join(EventCount, EventCount.event_id == Event.id)
    for row in db.session.execute(attendances.group_by(*group_keys)):  # 待核实 ones count once confirmed
        result[key(row)].add_attendance(checkins=row[width])
    for row in db.session.execute(_people_by_subtree(org_ids, program_ids, year, by_program, now, since)):
        result[key(row)].participants = row[width]

    quantities = base(EventQuantity.label, func.sum(EventQuantity.value)).join(
        EventQuantity, EventQuantity.event_id == Event.id
    )
    for row in db.session.execute(quantities.group_by(*group_keys, EventQuantity.label)):
        result[key(row)].quantities[row[width]] = row[width + 1] or 0
    if program_ids is not None or by_program:  # figures are per program: none for a whole year's rollup
        add_reported_by_subtree(result, org_ids, program_ids, by_program=by_program, months=months)
    add_station_visits_by_subtree(result, org_ids, program_ids=program_ids, year=year, by_program=by_program,
                                  since=since, now=now)
    # Share targets (an organization's part) count a series as one 项 as the overall targets do.
    add_series_collapse_by_subtree(result, org_ids, m if m is not None else memberships(program_ids), now=now,
                                   since=since, by_program=by_program, year=year)
    return result


def _people_by_subtree(
    org_ids: Sequence[int], program_ids: Sequence[int] | None, year: int | None, by_program: bool, now: datetime,
    since: datetime | None = None,
) -> Select[*tuple[Any, ...]]:
    """Distinct people per organization subtree (and program): program_participant rows UNION station visitors."""
    pp = ProgramParticipant
    organizer, ancestor = aliased(Organization), aliased(Organization)
    keys = [ancestor.id.label("org_id"), pp.program_id.label("program_id")] if by_program \
        else [ancestor.id.label("org_id")]
    stmt = (select(*keys, pp.participant_id.label("participant_id"))
            .join(organizer, organizer.id == pp.organization_id)
            .join(ancestor, organizer.path.startswith(ancestor.path))
            .where(ancestor.id.in_(org_ids), pp.first_starts_at <= now))
    if program_ids is not None:
        stmt = stmt.where(pp.program_id.in_(program_ids))
    if year is not None:
        stmt = stmt.join(Program, Program.id == pp.program_id).where(Program.year == year)
    # UNION (distinct): a worker met at an event and at a station in the subtree is one 人.
    both = union(stmt, station_people_by_subtree(org_ids, program_ids=program_ids, year=year, by_program=by_program,
                                                 since=since, now=now)).subquery("people")
    out_keys = [both.c.org_id, both.c.program_id] if by_program else [both.c.org_id]
    return select(*out_keys, func.count()).group_by(*out_keys)


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
    stmt = select(EventCount.event_id, EventCount.checkins).where(EventCount.event_id.in_(event_ids))
    return {eid: n for eid, n in db.session.execute(stmt) if n}


def pending_by_program(program_ids: Sequence[int], *, scope_path: str = "") -> dict[int, int]:
    """Return how many check-ins wait for review (待核实, not counted) per program, within `scope_path`."""
    if not program_ids:
        return {}
    m = memberships(program_ids)
    stmt = _scoped(
        select(m.c.program_id, func.sum(EventCount.pending)).select_from(m).join(Event, Event.id == m.c.event_id)
        .join(EventCount, EventCount.event_id == Event.id), scope_path)
    return {pid: int(n) for pid, n in db.session.execute(stmt.group_by(m.c.program_id)) if n}


def pending_in_scope(scope_path: str = "", *, event_ids: Sequence[int] | None = None) -> int:
    """Return how many check-ins wait for review within `scope_path` (or among `event_ids`)."""
    stmt = _scoped(select(func.sum(EventCount.pending)).select_from(EventCount)
                   .join(Event, Event.id == EventCount.event_id), scope_path)
    if event_ids is not None:
        stmt = stmt.where(EventCount.event_id.in_(event_ids))
    return int(db.session.scalar(stmt) or 0)


def custom_labels(targets: Iterable[Target]) -> list[str]:
    """Return the custom-unit labels of a set of targets, in order, once each."""
    labels: list[str] = []
    for t in targets:
        if t.metric == CUSTOM and t.label not in labels:
            labels.append(t.label)
    return labels
