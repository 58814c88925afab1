"""Reading the audit log, limited to the user's scope."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, and_, or_, select

from eventsvc.audit.models import AuditEntry
from eventsvc.orgs.models import Organization, User


def entries_in_scope(user: User) -> Select[AuditEntry]:
    """Entries about units within the user's subtree (district users: all, including unit-less entries)."""
    stmt = select(AuditEntry).outerjoin(Organization, AuditEntry.organization_id == Organization.id)
    if user.scope_path:
        stmt = stmt.where(Organization.path.startswith(user.scope_path))
    return stmt


def filter_entries(
    stmt: Select[AuditEntry],
    *,
    actor: str = "",
    action: str = "",
    object_type: str = "",
    object_id: int | None = None,
    organization: Organization | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[AuditEntry]:
    """Narrow an entry query by the audit page's filters (action is a prefix: "event." matches all event actions)."""
    if actor:
        stmt = stmt.where(or_(AuditEntry.actor_name == actor, AuditEntry.actor_kind == actor))
    if action:
        stmt = stmt.where(AuditEntry.action.startswith(action, autoescape=True))
    if object_type:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    if object_id is not None:
        stmt = stmt.where(AuditEntry.object_id == object_id)
    if organization is not None:
        stmt = stmt.where(Organization.path.startswith(organization.path))
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= since)
    if until is not None:
        stmt = stmt.where(AuditEntry.at < until)
    return stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def about_event(stmt: Select[AuditEntry], event_id: int) -> Select[AuditEntry]:
    """Narrow to an event's whole history: the event's own entries and those of its check-ins, registrations…"""
    return stmt.where(or_(AuditEntry.event_id == event_id,
                          and_(AuditEntry.object_type == "event", AuditEntry.object_id == event_id)))
