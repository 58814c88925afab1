"""State changes for staff accounts: create, edit, deactivate/reactivate, reset and change passwords.

Delegated administration: an administrator manages accounts whose unit it reaches (district admins: all;
a street admin: its subtree). It may grant any role up to its own, except that a non-district admin grants
`admin` only for units strictly below its own: a street admin can make a 工联会's admin but not a second
admin of the street itself (that stays with the district, which answers for the street's administrators),
and it cannot change or reset an administrator of its own unit either. Nobody changes their own role,
unit or active state. Each change writes one audit entry; those that change what a session may do
(deactivation, resets, password, role or unit) bump `session_version`, which ends the account's open sessions.
"""
from __future__ import annotations

from sqlalchemy import select

from eventsvc.audit.operations import changes_since, record, snapshot
from eventsvc.core.exceptions import OperationError
from eventsvc.core.passwords import check_password_policy, generate_temporary_password
from eventsvc.core.permissions import ADMIN, ALL_ROLES, CHECKER, ORGANIZER, VIEWER
from eventsvc.core.phones import InvalidPhone, normalize_phone
from eventsvc.core.timeutil import utcnow
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization, User

__all__ = [
    "ROLE_RANK", "assignable_roles", "can_manage_account", "change_password", "create_user", "deactivate_user",
    "end_sessions", "reactivate_user", "record_login", "reset_password", "update_user",
]

ROLE_RANK = {VIEWER: 0, CHECKER: 1, ORGANIZER: 2, ADMIN: 3}
_AUDITED = ("username", "display_name", "phone", "role", "organization", "is_active_account")
_USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-@")


def _strictly_below(org: Organization, top: Organization) -> bool:
    return org.id != top.id and org.path.startswith(top.path)


def assignable_roles(by: User | None, organization: Organization | None) -> list[str]:
    """Return the roles `by` may give an account of `organization` (all of them for the system)."""
    if by is None:
        return list(ALL_ROLES)
    if not by.is_admin or organization is None or not by.reaches(organization):
        return []
    roles = [r for r in ALL_ROLES if ROLE_RANK[r] <= ROLE_RANK[by.role]]
    if not by.is_district and not _strictly_below(organization, by.organization):
        roles = [r for r in roles if r != ADMIN]
    return roles


def can_manage_account(by: User | None, user: User) -> bool:
    """Tell whether `by` may edit, deactivate or reset `user` (see the module docstring)."""
    if by is None:
        return True
    if not by.is_admin or not by.reaches(user.organization):
        return False
    return user.role in assignable_roles(by, user.organization) or user.id == by.id


def _check_grant(by: User | None, role: str, organization: Organization) -> None:
    if role not in ALL_ROLES:
        raise OperationError("角色无效", field="role")
    if by is None:
        return
    if not by.is_admin or not by.reaches(organization):
        raise OperationError("您无权为该组织管理账号", code="forbidden", field="organization")
    if role not in assignable_roles(by, organization):
        raise OperationError("您不能授予该组织此角色：管理员只能由上级组织的管理员设置", code="forbidden",
                             field="role")


def _clean_username(username: str) -> str:
    username = username.strip()
    if not username:
        raise OperationError("请填写用户名", field="username")
    if len(username) > 64 or not set(username) <= _USERNAME_CHARS:
        raise OperationError("用户名只能用字母、数字和 _ . - @，不超过 64 位", field="username")
    return username


def _clean_phone(phone: str) -> str:
    if not phone.strip():
        return ""
    try:
        return normalize_phone(phone)
    except InvalidPhone as exc:
        raise OperationError(str(exc), field="phone") from None


def _clean_name(display_name: str) -> str:
    display_name = display_name.strip()
    if len(display_name) > 64:
        raise OperationError("姓名不能超过 64 个字", field="display_name")
    return display_name


def create_user(
    username: str,
    password: str,
    role: str,
    organization: Organization,
    *,
    by: User | None,
    display_name: str = "",
    phone: str = "",
    must_change_password: bool = False,
) -> User:
    """Create a staff account in an organization the acting admin reaches, with a role it may grant."""
    username = _clean_username(username)
    _check_grant(by, role, organization)
    check_password_policy(password, username=username)
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise OperationError(f"用户名“{username}”已被使用", code="duplicate", field="username")
    user = User(username=username, role=role, organization=organization, display_name=_clean_name(display_name),
                phone=_clean_phone(phone), must_change_password=must_change_password, session_version=1)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record(by, "user.create", user, summary=f"新建账号 {username}（{organization.name}，{user.role_label}）")
    return user


def update_user(
    user: User,
    *,
    by: User | None,
    display_name: str,
    phone: str,
    role: str,
    organization: Organization,
) -> User:
    """Change an account's name, phone, role or unit; a new role or unit must be one `by` could create."""
    if not can_manage_account(by, user):
        raise OperationError("您无权修改该账号", code="forbidden")
    if by is not None and user.id == by.id and (role != user.role or organization.id != user.organization_id):
        raise OperationError("不能修改自己的角色或所属组织", code="forbidden", field="role")
    if role != user.role or organization.id != user.organization_id:
        _check_grant(by, role, organization)
    before = snapshot(user, _AUDITED)
    user.display_name, user.phone, user.role = _clean_name(display_name), _clean_phone(phone), role
    user.organization = organization
    changes = changes_since(before, user)
    if changes.keys() & {"role", "organization"}:
        user.session_version += 1  # what the open sessions were allowed to see is no longer right
    db.session.flush()
    if changes:
        record(by, "user.update", user, summary=f"修改账号 {user.username}", changes=changes)
    return user


def deactivate_user(user: User, *, by: User | None) -> None:
    """Stop an account from logging in and end its open sessions (remember cookies included)."""
    if not can_manage_account(by, user):
        raise OperationError("您无权停用该账号", code="forbidden")
    if by is not None and user.id == by.id:
        raise OperationError("不能停用自己的账号", code="forbidden")
    if not user.is_active_account:
        raise OperationError("该账号已停用", code="already")
    user.is_active_account = False
    user.session_version += 1
    db.session.flush()
    record(by, "user.deactivate", user, summary=f"停用账号 {user.username}")


def reactivate_user(user: User, *, by: User | None) -> None:
    """Let a deactivated account log in again."""
    if not can_manage_account(by, user):
        raise OperationError("您无权启用该账号", code="forbidden")
    if user.is_active_account:
        raise OperationError("该账号已是启用状态", code="already")
    user.is_active_account = True
    db.session.flush()
    record(by, "user.reactivate", user, summary=f"重新启用账号 {user.username}")


def reset_password(user: User, *, by: User | None) -> str:
    """Give the account a temporary password (returned once, never stored in plain) it must change at login."""
    if not can_manage_account(by, user):
        raise OperationError("您无权重置该账号的密码", code="forbidden")
    temporary = generate_temporary_password()
    user.set_password(temporary)
    user.must_change_password = True
    user.session_version += 1
    db.session.flush()
    record(by, "user.reset_password", user, summary=f"重置账号 {user.username} 的密码（临时密码，须在登录后修改）")
    return temporary


def change_password(user: User, old_password: str, new_password: str, *, by: User) -> None:
    """Change the acting user's own password after checking the old one; other sessions end."""
    if by.id != user.id:
        raise OperationError("只能修改自己的密码", code="forbidden")
    if not user.check_password(old_password):
        raise OperationError("原密码不正确", field="old_password")
    check_password_policy(new_password, username=user.username, field="new_password")
    if user.check_password(new_password):
        raise OperationError("新密码不能与原密码相同", field="new_password")
    user.set_password(new_password)
    user.must_change_password = False
    user.session_version += 1
    db.session.flush()
    record(by, "user.change_password", user, summary=f"{user.username} 修改了自己的密码")


def end_sessions(user: User, *, by: User) -> None:
    """Log the user out everywhere: every session and remember cookie carrying the old version stops working."""
    user.session_version += 1
    db.session.flush()
    record(by, "auth.logout", user, summary=f"{user.username} 退出登录")


def record_login(user: User, *, by: User) -> None:
    """Remember when the user last logged in, and audit it."""
    user.last_login_at = utcnow()
    db.session.flush()
    record(by, "auth.login", user, summary=f"{user.username} 登录")
