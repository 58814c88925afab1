"""Named rate limits for views (Flask-Limiter) and the 429 answer in Chinese.

Views apply these decorators under their route decorator; the numbers live in config (RATELIMIT_*):

    @bp.route("/login", methods=["GET", "POST"])
    @login_limit
    def login(): ...

    @limit_public_checkin(device_id=remembered_device_id)   # per IP and per remembered device
    @limit_sms_send(phone_field="phone")                     # per IP and per phone number
    @scanner_limit                                           # per logged-in user
"""
from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, jsonify, render_template, request
from flask_limiter import RateLimitExceeded
from flask_login import current_user
from limits import parse_many

from eventsvc.core.permissions import wants_json
from eventsvc.core.phones import InvalidPhone, normalize_phone
from eventsvc.extensions import limiter

F = TypeVar("F", bound=Callable[..., Any])
LIMITED_METHODS = ["POST"]  # pages may be looked at freely; what is limited is what they submit


def init_rate_limits(app: Flask) -> None:
    """Bind the limiter to the app: storage from RATELIMIT_STORAGE_URL, a Chinese 429 page or JSON."""
    config = app.config
    config["RATELIMIT_STORAGE_URI"] = config.get("RATELIMIT_STORAGE_URL") or "memory://"
    config.setdefault("RATELIMIT_ENABLED", True)  # the limiter keeps the last app's switch otherwise
    config.setdefault("RATELIMIT_KEY_PREFIX", "eventsvc")
    # A Redis outage at a venue must not stop check-in: count in memory until it is back.
    config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, too_many_requests)


def too_many_requests(exc: RateLimitExceeded):  # type: ignore[no-untyped-def]
    """Answer a breached limit: how long to wait, as a page for browsers and JSON for API clients."""
    current = limiter.current_limit
    wait = max(1, math.ceil(current.reset_at - time.time())) if current is not None else 60
    message = f"操作太频繁，请 {_wait_text(wait)}后再试。"
    if wants_json():
        response = jsonify(ok=False, error=message, status=429, retry_after=wait)
    else:
        response = current_app.make_response(render_template("error.html", status=429, message=message))
    response.status_code = 429
    response.headers["Retry-After"] = str(wait)
    return response


def _wait_text(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} 秒"
    if seconds < 3600:
        return f"{math.ceil(seconds / 60)} 分钟"
    return f"{math.ceil(seconds / 3600)} 小时"


def _configured(name: str) -> Callable[[], str]:
    """Read the limit string at request time, so tests and deployments can change it by config."""
    return lambda: current_app.config[name]


def _digest(kind: str, value: str) -> str:
    """Key a limit by an HMAC of the value, so the limiter's storage (Redis) never holds phones or cookies."""
    secret = str(current_app.config.get("SECRET_KEY") or "").encode()
    return f"{kind}:{hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()[:32]}"


def client_ip() -> str:
    """The client address as the app sees it (see the ProxyFix note in extensions.py)."""
    return request.remote_addr or "unknown"


def _user_key() -> str:
    if current_user and current_user.is_authenticated:
        return f"user:{current_user.get_id()}"
    return f"ip:{client_ip()}"


def _submitted_phone(field: str) -> str | None:
    if request.is_json:
        body = request.get_json(silent=True)
        raw = body.get(field) if isinstance(body, dict) else None
    else:
        raw = request.form.get(field)
    try:
        return normalize_phone(raw if isinstance(raw, str) else None)
    except InvalidPhone:
        return None  # the view rejects it; nothing can be sent to it anyway


login_limit = limiter.shared_limit(_configured("RATELIMIT_LOGIN"), scope="login", key_func=client_ip,
                                   methods=LIMITED_METHODS)
scanner_limit = limiter.shared_limit(_configured("RATELIMIT_SCANNER_PER_USER"), scope="scanner", key_func=_user_key,
                                     methods=LIMITED_METHODS)
sms_ip_limit = limiter.shared_limit(_configured("RATELIMIT_SMS_PER_IP"), scope="sms-ip", key_func=client_ip,
                                    methods=LIMITED_METHODS)
public_checkin_ip_limit = limiter.shared_limit(_configured("RATELIMIT_PUBLIC_CHECKIN_PER_IP"), scope="public-ip",
                                               key_func=client_ip, methods=LIMITED_METHODS)


def limit_sms_send(phone_field: str = "phone") -> Callable[[F], F]:
    """Limit a view that sends a code: per client IP and per phone number in the submitted field."""

    def phone_key() -> str:
        return _digest("phone", _submitted_phone(phone_field) or "")

    per_phone = limiter.shared_limit(_configured("RATELIMIT_SMS_PER_PHONE"), scope="sms-phone", key_func=phone_key,
                                     methods=LIMITED_METHODS,
                                     exempt_when=lambda: _submitted_phone(phone_field) is None)

    def decorator(view: F) -> F:
        return sms_ip_limit(per_phone(view))  # type: ignore[return-value]

    return decorator


def limit_public_checkin(device_id: Callable[[], str | None]) -> Callable[[F], F]:
    """Limit a public check-in/registration view per client IP and per remembered device.

    `device_id` returns the stable id the remembered-device cookie carries, or None for a phone seen for
    the first time: those are limited by IP only, since hundreds of first-time phones share a venue's NAT.
    """

    def device_key() -> str:
        return _digest("device", device_id() or "")

    per_device = limiter.shared_limit(_configured("RATELIMIT_PUBLIC_CHECKIN_PER_DEVICE"), scope="public-device",
                                      key_func=device_key, methods=LIMITED_METHODS,
                                      exempt_when=lambda: not device_id())

    def decorator(view: F) -> F:
        return public_checkin_ip_limit(per_device(view))  # type: ignore[return-value]

    return decorator


def consume(limit_name: str, scope: str, key: str) -> bool:
    """Count one hit against a configured limit outside a view decorator; False when it is exhausted.

    For checks that need a value only known inside an operation (a phone found in a JSON body, say).
    """
    if not limiter.enabled:
        return True
    hashed = _digest(scope, key)
    strategy = limiter.limiter
    items = parse_many(current_app.config[limit_name])
    if not all(strategy.test(item, scope, hashed) for item in items):
        return False
    for item in items:
        strategy.hit(item, scope, hashed)
    return True
