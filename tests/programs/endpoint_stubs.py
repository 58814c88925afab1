"""Stand-ins for endpoints other modules own that base.html and the program pages link to.

Registered only while the real endpoint is missing, so once every module is integrated they do nothing.
"""
from __future__ import annotations

from flask import Flask

LINKED_ENDPOINTS = ("events.list_events", "events.create_event", "checkin.event_page", "reports.admin_settings")


def stub_missing_endpoints(app: Flask) -> None:
    """Register a trivial page for each linked endpoint the app does not have yet."""
    for name in LINKED_ENDPOINTS:
        if name not in app.view_functions:
            app.add_url_rule(f"/_stub/{name}", endpoint=name, view_func=lambda **_: "stub")
