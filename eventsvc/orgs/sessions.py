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


def load_user(session_id: str) -> User | None:
    """Flask-Login's user_loader: the user only while the id's version is current and the account active."""
    parts = session_id.split(":")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or len(parts[0]) > 18:
        return None  # ids from before versions existed, or forged: log in again
    user = db.session.get(User, int(parts[0]))
    if user is None or not user.is_active or user.session_version != int(parts[1]):
        return None
    return user
