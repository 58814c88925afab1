"""Which events count toward which programs, and how units roll up: the two joins every figure needs.

- memberships: an event counts toward its primary program and each additional one, once each.
- Rollup: a unit's figures include every event organized in its subtree (path prefix). Grouped queries
  group by the organizing unit (a few hundred groups however many events) and `Rollup` adds each group
  to every listed unit above it, in Python: no join on path prefixes over the events themselves.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import BindParameter, CompoundSelect, Select, Subquery, bindparam, or_, select, union_all

from eventsvc.events.models import Event, event_program
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization


def id_list(values: Any) -> Any:
    """Ids for an IN, written into the statement as numbers: a few dozen bound parameters, repeated in a
    statement, cost more to render, send and parse (PostgreSQL) than the query itself. A kept statement
    (core/built.py) passes its named parameter instead, given at execution."""
    if isinstance(values, BindParameter):
        return values
    return bindparam(None, [int(v) for v in values], expanding=True, literal_execute=True)


def memberships(program_ids: Sequence[int] | None = None) -> Subquery:
    """Return (event_id, program_id) rows: each event's primary program and its additional ones.

    An additional program equal to the primary one is left out, so every pair occurs once (as a
    UNION would give) without sorting the events to remove duplicates.
    """
    primary = select(Event.id.label("event_id"), Event.program_id.label("program_id"))
    extra = (select(event_program.c.event_id, event_program.c.program_id)
             .join(Event, Event.id == event_program.c.event_id).where(event_program.c.program_id != Event.program_id))
    if program_ids is not None:
        primary = primary.where(Event.program_id.in_(id_list(program_ids)))
        extra = extra.where(event_program.c.program_id.in_(id_list(program_ids)))
    return union_all(primary, extra).subquery("membership")


Rows = Select[*tuple[Any, ...]]


def by_membership(
    build: Callable[[Any], Rows], program_ids: Sequence[int] | BindParameter[Any] | None
) -> CompoundSelect[*tuple[Any, ...]]:
    """The same grouped select for both ways an event belongs to a program, in one statement (UNION ALL):
    callers add up the rows of one key.

    `build(program_column)` returns a select over Event (and whatever it joins) keyed by that column. The
    first part keeps events by their primary program, the second by each additional one that differs:
    disjoint, and each driven by its own index, where a join on `memberships()` would read every event.
    """
    primary = build(Event.program_id)
    extra = build(event_program.c.program_id).join(event_program, event_program.c.event_id == Event.id).where(
        event_program.c.program_id != Event.program_id)
    listed = select(event_program.c.event_id)
    if program_ids is not None:
        primary = primary.where(Event.program_id.in_(id_list(program_ids)))
        extra = extra.where(event_program.c.program_id.in_(id_list(program_ids)))
        listed = listed.where(event_program.c.program_id.in_(id_list(program_ids)))
    return union_all(primary, extra.where(Event.id.in_(listed)))  # few: lets SQLite start from event_program


def in_programs(program_ids: Sequence[int] | BindParameter[Any]) -> Any:
    """The condition that an event counts toward one of these programs (primary or additional), for an index:
    an IN over `memberships()` makes PostgreSQL read every event."""
    return or_(Event.program_id.in_(id_list(program_ids)), Event.id.in_(
        select(event_program.c.event_id).where(event_program.c.program_id.in_(id_list(program_ids)))))


class Rollup:
    """The listed units, and for each organizing unit the listed ones whose subtree holds it."""

    def __init__(self, org_ids: Sequence[int]) -> None:
        rows = db.session.execute(select(Organization.id, Organization.path))
        paths: dict[int, str] = {oid: path for oid, path in rows}
        listed = [(oid, paths[oid]) for oid in dict.fromkeys(org_ids) if oid in paths]
        self.above: dict[int, list[int]] = {}
        for unit, path in paths.items():
            above = [oid for oid, prefix in listed if path.startswith(prefix)]
            if above:
                self.above[unit] = above
        self.everywhere = len(self.above) == len(paths)  # every unit rolls up: no need to filter by unit

    @property
    def units(self) -> list[int]:
        """The organizing units whose rows count (for an IN filter)."""
        return sorted(self.above)

    def keys(self, unit: int, program_id: Any = None, *, by_program: bool = False) -> list[Any]:
        """The result keys a row of `unit` (and `program_id`) adds to: (org) or (org, program)."""
        return [(oid, program_id) for oid in self.above.get(unit, ())] if by_program else self.above.get(unit, [])
