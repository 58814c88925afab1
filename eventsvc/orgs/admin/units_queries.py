"""Reads behind the unit administration pages: the tree in a user's scope with per-unit counts."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from eventsvc.extensions import db
from eventsvc.orgs.models import Organization, User


@dataclass
class UnitNode:
    """One unit of the tree page with its direct counts and its children."""

    org: Organization
    users: int = 0
    events: int = 0
    programs: int = 0
    children: list[UnitNode] = field(default_factory=list)
    matches: bool = True  # the search hit this unit or one below it

    def walk(self) -> list[UnitNode]:
        """Return this node and every node below it, parents first."""
        found = [self]
        for child in self.children:
            found.extend(child.walk())
        return found


def units_in_scope(user: User, *, active_only: bool = False) -> list[Organization]:
    """Return every unit the user reaches (inactive ones too unless asked), parents before children."""
    stmt = select(Organization).where(Organization.path.startswith(user.scope_path, autoescape=True))
    if active_only:
        stmt = stmt.where(Organization.is_active.is_(True))
    units = list(db.session.scalars(stmt))
    index = {u.id: u for u in units}

    def key(unit: Organization) -> list[tuple[int, int]]:
        # Tree order by each ancestor's (sort_order, id): a path string sorts "/10/" before "/9/".
        ids = [int(p) for p in unit.path.strip("/").split("/")]
        return [(index[i].sort_order if i in index else 0, i) for i in ids]

    return sorted(units, key=key)


def _counts(model: type, ids: list[int]) -> dict[int, int]:
    """Count rows of `model` per organization_id with one grouped query."""
    column = model.organization_id  # type: ignore[attr-defined]
    rows = db.session.execute(
        select(column, func.count()).where(column.in_(ids)).group_by(column)
    ).all()
    return {org_id: n for org_id, n in rows}


def unit_tree(user: User, query: str = "") -> list[UnitNode]:
    """Return the user's units as a forest (one root for most users) with counts; three grouped count queries."""
    from eventsvc.events.models import Event  # the admin page reads from domains above orgs
    from eventsvc.programs.models import Program

    units = units_in_scope(user)
    ids = [u.id for u in units]
    users, events, programs = _counts(User, ids), _counts(Event, ids), _counts(Program, ids)
    nodes = {u.id: UnitNode(u, users.get(u.id, 0), events.get(u.id, 0), programs.get(u.id, 0)) for u in units}
    roots: list[UnitNode] = []
    for unit in units:
        parent = nodes.get(unit.parent_id) if unit.parent_id is not None else None
        (parent.children if parent is not None else roots).append(nodes[unit.id])
    query = query.strip()
    if query:
        for root in roots:
            _mark(root, query)
    return roots


def _mark(node: UnitNode, query: str) -> bool:
    """Keep a unit when it or something below it matches the search (name or short name)."""
    below = [_mark(child, query) for child in node.children]
    node.matches = query in node.org.name or query in node.org.short_name or any(below)
    return node.matches


def parent_choices(user: User, moving: Organization | None = None) -> list[tuple[int, str]]:
    """Return (id, indented name) of the active units a unit may be put under (never the unit's own subtree)."""
    units = [u for u in units_in_scope(user, active_only=True)
             if moving is None or not u.path.startswith(moving.path)]
    base = min((u.depth for u in units), default=0)
    return [(u.id, "　" * (u.depth - base) + u.name) for u in units]
