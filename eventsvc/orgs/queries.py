"""Reads about the organization tree."""
from __future__ import annotations

from sqlalchemy import Select, select

from eventsvc.core.permissions import acts_for
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization, User


def district_root() -> Organization | None:
    """Return the root of the tree (the district federation)."""
    return db.session.scalar(select(Organization).where(Organization.parent_id.is_(None)).order_by(Organization.id))


def scope_root(user: User) -> Organization:
    """Return the node a user's views start from: the root for district users, else their org."""
    if user.is_district:
        return district_root() or user.organization
    return user.organization


def orgs_in_scope(user: User) -> Select[Organization]:
    """Select the organizations a user reaches, in tree order."""
    return (
        select(Organization)
        .where(Organization.path.startswith(user.scope_path), Organization.is_active.is_(True))
        .order_by(Organization.path)
    )


def org_choices(user: User) -> list[tuple[int, str]]:
    """Return (id, indented name) pairs for select boxes, limited to the user's scope."""
    orgs = db.session.scalars(orgs_in_scope(user)).all()
    orgs = sorted(orgs, key=lambda o: [int(p) for p in o.path.strip("/").split("/")])
    base = min((o.depth for o in orgs), default=0)
    return [(o.id, "　" * (o.depth - base) + o.name) for o in orgs]


def managed_org_choices(user: User) -> list[tuple[int, str]]:
    """Return org_choices limited to the organizations the user may own programs/events for (write scope)."""
    return [(i, name) for i, name in org_choices(user) if acts_for(user, db.session.get(Organization, i))]


def children_of(org: Organization) -> list[Organization]:
    """Return the active direct children of a node."""
    return [c for c in org.children if c.is_active]
