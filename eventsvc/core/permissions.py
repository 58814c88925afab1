"""Roles and view guards. Scope checks (which organizations a user reaches) live on User."""
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
