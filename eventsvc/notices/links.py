"""Absolute links that messages carry: the event's short link and the signed stop-reminders link.

Built from the URL map, not url_for: the CLI (schedule) runs without a request and without SERVER_NAME.
"""
from __future__ import annotations

from flask import current_app, has_request_context, request
from itsdangerous import BadSignature, URLSafeSerializer

from eventsvc.events.models import Event

_STOP_SALT = "eventsvc.notices.stop-reminders"


def _base() -> str:
    base = current_app.config.get("PUBLIC_BASE_URL") or ""
    if not base and has_request_context():
        base = request.url_root
    return base.rstrip("/")


def _path(endpoint: str, **values: str) -> str:
    return current_app.url_map.bind("localhost").build(endpoint, values)


def event_link(event: Event) -> str:
    """Return the event's short public link (/c/<code>): its page tells the worker what it is and when."""
    return _base() + _path("checkin_public.self_check_in", code=event.code)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_STOP_SALT)


def stop_token(notice_id: int) -> str:
    """Sign a notice id: the link names the notice (hence its phone) without showing the phone."""
    return str(_serializer().dumps(notice_id))


def notice_id_from(token: str) -> int | None:
    """Return the notice id a stop token signs, or None when it is forged or garbled."""
    try:
        value = _serializer().loads(token[:100])
    except BadSignature:
        return None
    return value if isinstance(value, int) else None


def stop_link(notice_id: int) -> str:
    """Return the public page where a worker stops reminders."""
    return _base() + _path("notices.stop_reminders", token=stop_token(notice_id))
