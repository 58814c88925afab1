"""Public URLs that QR codes carry (short, absolute, using PUBLIC_BASE_URL when set)."""
from __future__ import annotations

from flask import current_app, request, url_for

from eventsvc.checkin.models import Registration
from eventsvc.events.models import Event


def public_base() -> str:
    """Return the base URL workers' phones reach, without a trailing slash."""
    base = current_app.config.get("PUBLIC_BASE_URL") or ""
    if not base:
        base = request.url_root if request else "http://127.0.0.1:5000/"
    return base.rstrip("/")


def checkin_url(event: Event, dynamic_token: str | None = None) -> str:
    """Return the absolute self check-in URL for an event (optionally with a dynamic code)."""
    path = url_for("checkin_public.self_check_in", code=event.code)
    if dynamic_token:
        path += f"?t={dynamic_token}"
    return public_base() + path


def ticket_url(reg: Registration) -> str:
    """Return the absolute e-ticket URL: what the personal QR carries and the scanner accepts."""
    return public_base() + url_for("checkin_public.view_ticket", token=reg.token)
