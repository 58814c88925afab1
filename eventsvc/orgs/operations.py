"""State changes for organizations and users."""
from __future__ import annotations

from sqlalchemy import select

from eventsvc.core.exceptions import OperationError
from eventsvc.core.permissions import ALL_ROLES
from eventsvc.core.timeutil import utcnow
from eventsvc.extensions import db
from eventsvc.orgs.models import KIND_LABELS, Organization, User


def create_organization(
    name: str,
    kind: str,
    parent: Organization | None,
    *,
    by: User | None,
    short_name: str = "",
    sort_order: int = 0,
) -> Organization:
    """Add a node under `parent` (None only for the district root) and set its path."""
    name = name.strip()
    if not name:
        raise OperationError("请填写组织名称", field="name")
    if kind not in KIND_LABELS:
        raise OperationError("组织类型无效", field="kind")
    if by is not None and (not by.is_admin or (parent is not None and not by.reaches(parent))):
        raise OperationError("您无权在此处添加组织", code="forbidden")
    exists = db.session.scalar(
        select(Organization).where(
            Organization.name == name,
            Organization.parent_id == (parent.id if parent else None),
        )
    )
    if exists:
        raise OperationError(f"“{name}”已存在", code="duplicate", field="name")
    org = Organization(name=name, kind=kind, parent=parent, short_name=short_name.strip(), sort_order=sort_order)
    db.session.add(org)
    db.session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    db.session.flush()
    return org


def create_user(
    username: str,
    password: str,
    role: str,
    organization: Organization,
    *,
    by: User | None,
    display_name: str = "",
) -> User:
    """Create a staff account in an organization the acting admin reaches."""
    username = username.strip()
    if not username:
        raise OperationError("请填写用户名", field="username")
    if role not in ALL_ROLES:
        raise OperationError("角色无效", field="role")
    if len(password) < 8:
        raise OperationError("密码至少 8 位", field="password")
    if by is not None and (not by.is_admin or not by.reaches(organization)):
        raise OperationError("您无权为该组织添加用户", code="forbidden")
    if db.session.scalar(select(User).where(User.username == username)):
        raise OperationError(f"用户名“{username}”已被使用", code="duplicate", field="username")
    user = User(username=username, role=role, organization=organization, display_name=display_name.strip())
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def change_password(user: User, old_password: str, new_password: str, *, by: User) -> None:
    """Change the acting user's own password after checking the old one."""
    if by.id != user.id:
        raise OperationError("只能修改自己的密码", code="forbidden")
    if not user.check_password(old_password):
        raise OperationError("原密码不正确", field="old_password")
    if len(new_password) < 8:
        raise OperationError("新密码至少 8 位", field="new_password")
    user.set_password(new_password)
    db.session.flush()


def record_login(user: User, *, by: User) -> None:
    """Remember when the user last logged in."""
    user.last_login_at = utcnow()
    db.session.flush()
