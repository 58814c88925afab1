"""Roles, view guards and the write-scope rule.

Two scopes (issue 8 §6): *read* scope is `User.reaches` / `User.scope_path` (district users, root and
departments alike, read the whole district); *write* scope is `acts_for` below. Only administrators act
district-wide; a district department (or the root's own staff) changes only its own unit's programs and
events plus the programs it leads (牵头部室); a street or lower unit changes its own subtree. An event stays
its owning unit's to change, even under a program a department leads.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, request
from flask_login import current_user

ADMIN = "admin"
ORGANIZER = "organizer"
CHECKER = "checker"
VIEWER = "viewer"

ROLE_LABELS = {ADMIN: "管理员", ORGANIZER: "活动组织者", CHECKER: "签到核销员", VIEWER: "只读查看"}
ALL_ROLES = tuple(ROLE_LABELS)
MANAGE_ROLES = (ADMIN, ORGANIZER)
CHECKIN_ROLES = (ADMIN, ORGANIZER, CHECKER)

F = TypeVar("F", bound=Callable[..., Any])
_DISTRICT_KINDS = ("district", "department")  # orgs.models.DISTRICT / DEPARTMENT (core imports no domain)


def acts_for(user: Any, org: Any) -> bool:
    """Tell whether the user may change things owned by `org` (write scope, whatever the role)."""
    if user is None or org is None or not user.reaches(org):
        return False
    if user.is_admin:
        return True
    if user.organization.kind in _DISTRICT_KINDS:
        return bool(org.id == user.organization_id)  # district level reads all, writes only its own unit
    return True  # a street or lower unit: its own subtree (what it reaches)


def can_manage_org(user: Any, org: Any) -> bool:
    """Tell whether the user may manage (create, edit, publish, cancel) programs/events owned by `org`."""
    return user is not None and user.can_manage and acts_for(user, org)


def can_check_in_at(user: Any, org: Any) -> bool:
    """Tell whether the user may do check-in staff work (walk-in, scan, undo) for events owned by `org`."""
    return user is not None and user.can_check_in and acts_for(user, org)


def manages_program(user: Any, program: Any) -> bool:
    """Tell whether the user may change a program: its owner's managers, or a manager of a lead department."""
    if user is None or not user.can_manage:
        return False
    if acts_for(user, program.organization):
        return True
    return any(dept.id == user.organization_id for dept in program.lead_departments)


def may_export_full_phones(user: Any, event_org: Any | None) -> bool:
    """Full phone numbers: administrators (in scope), and organizers of the event's own unit only."""
    if user is None or not user.can_manage:
        return False
    if user.is_admin:
        return event_org is None or user.reaches(event_org)
    return event_org is not None and event_org.id == user.organization_id


def wants_json() -> bool:
    """Tell whether the client is an API caller (JSON) rather than a browser page."""
    if request.path.startswith("/api/") or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def roles_required(*roles: str) -> Callable[[F], F]:
    """Let only logged-in users with one of the roles through; others get login or 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            from eventsvc.extensions import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator


def staff_required(view: F) -> F:
    """Let any logged-in staff user through (every role may read within scope)."""
    return roles_required(*ALL_ROLES)(view)


def require(condition: bool, status: int = 404) -> None:
    """Abort with 404 (default: out-of-scope objects look missing) unless condition holds."""
    if not condition:
        abort(status)
