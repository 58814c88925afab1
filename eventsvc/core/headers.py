"""Security headers on every answer: CSP without inline code, permissions, HSTS, no caching of people.

Templates hold no inline <script> or on*= handlers and no style= attributes (tests/core/test_headers.py
scans them): page data travels in data-* attributes read by files in static/, so the policy can refuse
everything inline, which is what stops an escaping slip from becoming script execution.
"""
from __future__ import annotations

from flask import Flask, current_app, request
from werkzeug.wrappers import Response

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "media-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'self'",
))
# Only the door staff's scanner page reads the camera; every other page may not even ask.
CAMERA_ENDPOINTS = frozenset({"checkin_scanner.scanner"})
PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
SCANNER_PERMISSIONS = "camera=(self), microphone=(), geolocation=(), payment=(), usb=()"


_ALWAYS = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "SAMEORIGIN"), ("Referrer-Policy", "same-origin"))


def security_headers(response: Response) -> Response:
    """Add the headers; a view that set its own (Cache-Control on a QR image or a download) keeps it."""
    headers = response.headers
    # One pass over the few headers a response has, then one extend: setdefault() rescans them per header,
    # which cost more than the rest of this hook on every request.
    present = {key.lower() for key, _ in headers}
    wanted = list(_ALWAYS)
    if response.mimetype == "text/html":
        wanted.append(("Content-Security-Policy", CSP))
    camera = request.endpoint in CAMERA_ENDPOINTS
    wanted.append(("Permissions-Policy", SCANNER_PERMISSIONS if camera else PERMISSIONS))
    hsts = int(current_app.config.get("HSTS_SECONDS", 0))
    if hsts:
        wanted.append(("Strict-Transport-Security", f"max-age={hsts}; includeSubDomains"))
    # Nearly every page shows people (rosters, attendee lists, tickets, results); a shared or back-button
    # cache must keep none of them. Static files are the exception: they are the same for everyone.
    if request.endpoint != "static":
        wanted.append(("Cache-Control", "no-store"))
    headers.extend([(key, value) for key, value in wanted if key.lower() not in present])
    return response


def init_security_headers(app: Flask) -> None:
    """Install the after-request hook that adds the headers."""
    app.after_request(security_headers)
