"""What the maintained tables (checkin/counters.py) must hold, recomputed from the raw rows.

One definition serves `flask counts verify|rebuild` (every row, progress/counters.py) and the flush hooks
that recompute a few people after an ORM change (progress/sync.py):

- event_count: check-ins per event, counted (neither 待核实 nor 作废) by method, pending apart, all for seq;
  and the event's registrations by status.
- person_reach: (person, program or year, unit, earliest start) over counted check-ins at published events,
  each event toward its primary program and each additional one, at the organizing unit and every unit
  above it, together with the visitors of stations whose visits count toward the program (a visit counts
  from its visited_at).
- event_reach: per event, each of its programs and their years × its organizer and every unit above.
- event_tally: see progress/tally.py (it adds up published events and their event_count rows).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import CompoundSelect, Select, and_, case, func, literal_column, select, union, union_all
from sqlalchemy.orm import aliased

from eventsvc.checkin.counters import METHOD_COLUMNS, PROGRAM, REGISTRATION_COLUMNS, YEAR
from eventsvc.checkin.models import CHECKIN_PENDING, CheckIn, Registration
from eventsvc.events.models import PUBLISHED, Event, event_program
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization
from eventsvc.programs.models import Program
from eventsvc.stations.models import Station, StationProgram, StationVisit

FIGURES = ("checkins", "pending", *METHOD_COLUMNS.values())
REACH_COLUMNS = ["participant_id", "kind", "bucket", "organization_id", "first_starts_at"]
EVENT_REACH_COLUMNS = ["event_id", "kind", "bucket", "organization_id"]


def raw_event_counts() -> dict[int, dict[str, int]]:
    """Recompute each event's figures (and its row total, for seq) from the check-ins."""
    counted = (CheckIn.status != CHECKIN_PENDING) & CheckIn.voided_at.is_(None)  # 作废 rows stay, uncounted
    columns: list[Any] = [
        func.count(CheckIn.id),
        func.sum(case((counted, 1), else_=0)),
        func.sum(case((CheckIn.status == CHECKIN_PENDING, 1), else_=0)),
        *[func.sum(case((counted & (CheckIn.method == method), 1), else_=0)) for method in METHOD_COLUMNS],
    ]
    result = {}
    for event_id, total, *figures in db.session.execute(select(CheckIn.event_id, *columns).group_by(CheckIn.event_id)):
        result[event_id] = {"total": int(total), **{k: int(v or 0) for k, v in zip(FIGURES, figures, strict=True)}}
    return result


def raw_registration_counts() -> dict[int, dict[str, int]]:
    """Recompute each event's registrations by status (event_count's registration columns)."""
    result: dict[int, dict[str, int]] = {}
    for event_id, status, n in db.session.execute(
            select(Registration.event_id, Registration.status, func.count()).group_by(Registration.event_id,
                                                                                       Registration.status)):
        column = REGISTRATION_COLUMNS.get(status)
        if column is not None:
            result.setdefault(event_id, dict.fromkeys(REGISTRATION_COLUMNS.values(), 0))[column] = int(n)
    return result


def check_in_rows(person_ids: Sequence[int] | None = None,
                  organization_ids: Sequence[int] | None = None) -> list[Select[*tuple[Any, ...]]]:
    """Select (participant_id, program_id, organization_id, starts_at) per counted check-in and program.

    The primary program, then each additional one that differs from it (UNION ALL of disjoint sets: no
    sort to remove duplicates, and each part is driven by an index on check_in).
    """
    counted = and_(Event.status == PUBLISHED, CheckIn.status != CHECKIN_PENDING, CheckIn.voided_at.is_(None))
    primary = (select(CheckIn.participant_id.label("participant_id"), Event.program_id.label("program_id"),
                      Event.organization_id.label("organization_id"), Event.starts_at.label("starts_at"))
               .select_from(CheckIn).join(Event, Event.id == CheckIn.event_id).where(counted))
    extra = (select(CheckIn.participant_id, event_program.c.program_id, Event.organization_id, Event.starts_at)
             .select_from(CheckIn).join(Event, Event.id == CheckIn.event_id)
             .join(event_program, event_program.c.event_id == Event.id)
             .where(counted, event_program.c.program_id != Event.program_id))
    parts = [primary, extra]
    if person_ids is not None:
        parts = [p.where(CheckIn.participant_id.in_(person_ids)) for p in parts]
    if organization_ids is not None:
        parts = [p.where(Event.organization_id.in_(organization_ids)) for p in parts]
    return parts


def visit_rows(person_ids: Sequence[int] | None = None,
               organization_ids: Sequence[int] | None = None) -> Select[*tuple[Any, ...]]:
    """Select (participant_id, program_id, organization_id, starts_at) per station visit that counts toward
    a program (the one its station chose for the visit's year)."""
    year = func.extract("year", StationVisit.visit_date)
    stmt = (select(StationVisit.participant_id, StationProgram.program_id, Station.organization_id,
                   StationVisit.visited_at)
            .select_from(StationVisit).join(Station, Station.id == StationVisit.station_id)
            .join(StationProgram, and_(StationProgram.station_id == StationVisit.station_id,
                                       StationProgram.year == year)))
    if person_ids is not None:
        stmt = stmt.where(StationVisit.participant_id.in_(person_ids))
    if organization_ids is not None:
        stmt = stmt.where(Station.organization_id.in_(organization_ids))
    return stmt


def _units_above(organizer_ids: Any) -> Any:
    """A CTE of (organizer_id, id): each of these organizers with itself and every unit above it (path prefix,
    as the readers roll up)."""
    organizer, ancestor = aliased(Organization), aliased(Organization)
    return (select(organizer.id.label("organizer_id"), ancestor.id.label("id"))
            .join(ancestor, organizer.path.startswith(ancestor.path))
            .where(organizer.id.in_(organizer_ids))
            .cte("reach_units").prefix_with("MATERIALIZED"))


def event_reach(event_ids: Sequence[int] | None = None) -> CompoundSelect[*tuple[Any, ...]]:
    """Select what event_reach holds: (event, kind, bucket, unit) for each program ('p') and program year
    ('y') of the event, at its organizer and every unit above it, whatever the event's status."""
    primary = select(Event.id.label("event_id"), Event.program_id.label("program_id"),
                     Event.organization_id.label("organization_id"))
    extra = (select(event_program.c.event_id, event_program.c.program_id, Event.organization_id)
             .join(Event, Event.id == event_program.c.event_id))
    if event_ids is not None:
        primary = primary.where(Event.id.in_(event_ids))
        extra = extra.where(event_program.c.event_id.in_(event_ids))
    src = union_all(primary, extra).cte("event_programs")
    units = _units_above(select(src.c.organization_id))
    by_program = (select(src.c.event_id, literal_column(f"'{PROGRAM}'").label("kind"), src.c.program_id.label("bucket"),
                         units.c.id.label("organization_id"))
                  .join(units, units.c.organizer_id == src.c.organization_id))
    by_year = (select(src.c.event_id, literal_column(f"'{YEAR}'"), Program.year, units.c.id)
               .join(Program, Program.id == src.c.program_id)
               .join(units, units.c.organizer_id == src.c.organization_id))
    return union(by_program, by_year)  # distinct: an event's two programs of one year make one 'y' row


def reached(person_ids: Sequence[int] | None = None) -> CompoundSelect[*tuple[Any, ...]]:
    """Select what person_reach holds: (person, kind, bucket, unit, earliest start), each program ('p') and
    each year ('y') at the organizing unit and every unit above it (path prefix, as the readers roll up)."""
    src = union_all(*check_in_rows(person_ids), visit_rows(person_ids)).subquery("reach_src")
    first = (select(src.c.participant_id, src.c.program_id, src.c.organization_id,
                    func.min(src.c.starts_at).label("starts_at"))
             .group_by(src.c.participant_id, src.c.program_id, src.c.organization_id)
             .cte("reach_first").prefix_with("MATERIALIZED"))
    units = _units_above(select(first.c.organization_id))
    by_program = (select(first.c.participant_id, literal_column(f"'{PROGRAM}'").label("kind"),
                         first.c.program_id.label("bucket"), units.c.id.label("organization_id"),
                         func.min(first.c.starts_at).label("first_starts_at"))
                  .select_from(first).join(units, units.c.organizer_id == first.c.organization_id)
                  .group_by(first.c.participant_id, first.c.program_id, units.c.id))
    by_year = (select(first.c.participant_id, literal_column(f"'{YEAR}'").label("kind"), Program.year.label("bucket"),
                      units.c.id.label("organization_id"), func.min(first.c.starts_at).label("first_starts_at"))
               .select_from(first).join(Program, Program.id == first.c.program_id)
               .join(units, units.c.organizer_id == first.c.organization_id)
               .group_by(first.c.participant_id, Program.year, units.c.id))
    return union_all(by_program, by_year)


def people_of_units(organization_ids: Sequence[int]) -> Select[*tuple[Any, ...]]:
    """Select everyone counted at events organized, or stations run, by these units."""
    src = union_all(*check_in_rows(organization_ids=organization_ids),
                    visit_rows(organization_ids=organization_ids)).subquery()
    return select(src.c.participant_id).distinct()
