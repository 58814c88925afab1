"""Reads for the account pages: the accounts an administrator reaches, searched and filtered."""
from __future__ import annotations

from sqlalchemy import Select, or_, select

from eventsvc.orgs.models import Organization, User


def users_in_scope(by: User) -> Select[tuple[User]]:
    """Accounts whose unit lies in the administrator's subtree (district admins: all)."""
    return (select(User).join(Organization, User.organization_id == Organization.id)
            .where(Organization.path.startswith(by.scope_path)))


def filter_users(
    stmt: Select[tuple[User]], *, q: str = "", unit: Organization | None = None, role: str = "", active: str = ""
) -> Select[tuple[User]]:
    """Narrow by search text (username, 姓名, or the phone's last four digits), unit subtree, role and state."""
    q = q.strip()
    if q:
        conditions = [User.username.icontains(q, autoescape=True), User.display_name.icontains(q, autoescape=True)]
        if q.isdigit() and len(q) == 4:
            conditions.append(User.phone.endswith(q))
        stmt = stmt.where(or_(*conditions))
    if unit is not None:
        stmt = stmt.where(Organization.path.startswith(unit.path))
    if role:
        stmt = stmt.where(User.role == role)
    if active in ("1", "0"):
        stmt = stmt.where(User.is_active_account.is_(active == "1"))
    return stmt.order_by(Organization.path, User.username)
