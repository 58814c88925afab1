"""Staff sessions: the session id carries the user's `session_version` and a per-login nonce.

Flask-Login keeps `session["_user_id"]` and signs the same string into the remember cookie. Ours is
"<user id>:<session version>:<nonce>": bumping the version (logout, password change or reset, deactivation)
makes every session and remember cookie of that user stale at once, and the nonce makes each login's
remember cookie different, so one leaked cookie is not every cookie.
"""
from __future__ import annotations

import secrets

from flask import current_app, request, session
from flask_login import login_user, logout_user

from eventsvc.core import driver_sql
from eventsvc.core.stamped_cache import StampedCache
from eventsvc.extensions import db
from eventsvc.orgs.models import User


def start_session(user: User, *, remember: bool) -> None:
    """Log the user in on this browser with an id bound to the current session version."""
    login_user(user, remember=remember)
    session["_user_id"] = f"{user.id}:{user.session_version}:{secrets.token_urlsafe(12)}"


def end_session() -> None:
    """Log this browser out and have Flask-Login delete the remember cookie."""
    logout_user()


def has_remember_cookie() -> bool:
    return bool(request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")))


# Every staff request loads its user (and the unit its scope hangs on). The stamp is what must reload it: the
# version and the active flag checked below, and both rows' updated_at (a role, a unit or a unit's place in the
# tree changed, in any process). A unit moved carries its whole subtree's paths along, each row's updated_at too.
_USER_STAMP = ('SELECT u.session_version, u.is_active, u.updated_at, o.updated_at FROM "user" u'
               " LEFT JOIN organization o ON o.id = u.organization_id WHERE u.id = :id")
_users: StampedCache[User] = StampedCache(256)


def load_user(session_id: str) -> User | None:
    """Flask-Login's user_loader: the user only while the id's version is current and the account active."""
    parts = session_id.split(":")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or len(parts[0]) > 18:
        return None  # ids from before versions existed, or forged: log in again
    user_id, version = int(parts[0]), int(parts[1])
    row = driver_sql.read(db.session.connection(), _USER_STAMP, {"id": user_id}).first()
    if row is None or row[0] != version or not row[1]:
        return None

    def load() -> User | None:  # the row as read now must pass the same checks as its stamp
        user = db.session.get(User, user_id)
        return user if user is not None and user.is_active and user.session_version == version else None

    return _users.lookup(db.session, user_id, tuple(row), load, "organization")


def forget_cached_users() -> None:
    """Empty the per-process user cache (tests)."""
    _users.forget()
