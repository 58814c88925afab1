"""Configuration: defaults for development, overridable by EVENTSVC_* and DATABASE_URL."""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEV_SECRET_KEY = "dev-only-insecure-key"
MIN_SECRET_KEY_BYTES = 32
INSTANCE_DIR = Path(os.environ.get("EVENTSVC_INSTANCE_PATH", Path.cwd() / "instance")).resolve()


class Config:
    ENV_NAME = "development"
    SECRET_KEY: str | None = DEV_SECRET_KEY
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{INSTANCE_DIR / 'eventsvc.sqlite3'}"
    # hide_parameters: a database error logged with its traceback must not carry phone numbers (issue 8 §8).
    # No pre-ping (a query before every request): DB_CHECKOUT_CHECK does its work without a round trip.
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": False, "hide_parameters": True}
    # Refuse a pooled PostgreSQL connection the server has closed (a restart) when a request takes it, so the
    # request reconnects instead of failing (core/pg_liveness.py).
    DB_CHECKOUT_CHECK = True
    WTF_CSRF_TIME_LIMIT = None  # a check-in form left open on a phone all day must still submit
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 12
    # Public base URL printed in QR codes and posters; empty means "use the request's host".
    PUBLIC_BASE_URL = ""
    # Proxies in front of the app that set X-Forwarded-For/Proto/Host (nginx on the same host: 1); 0 trusts none.
    PROXY_FIX_HOPS = 0
    CHECKIN_OPENS_MINUTES_BEFORE = 60
    DYNAMIC_QR_REFRESH_SECONDS = 15
    DYNAMIC_QR_VALID_SECONDS = 60
    # A form opened from a fresh dynamic code may be submitted this long after, by the same session.
    DYNAMIC_QR_FORM_GRACE_SECONDS = 600
    UNDO_WINDOW_MINUTES = 5
    PARTICIPANT_COOKIE_DAYS = 365
    PDF_FONT = ""  # path to a TrueType font for PDFs; empty means search well-known places
    PAGE_SIZE = 30
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024  # paper-sheet imports are the only uploads
    # Evidence files: "" or file://PATH (local, default instance/files) or s3://BUCKET/PREFIX?endpoint_url=…&region=…
    STORAGE_URL = ""
    UPLOAD_MAX_PHOTO_BYTES = 20 * 1024 * 1024
    UPLOAD_MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
    UPLOAD_MAX_PHOTO_PIXELS = 80_000_000  # above phones' 64 MP modes, below Pillow's own bomb warning

    # --- Input and upload limits (eventsvc/core/inputs.py, eventsvc/imports/xlsx.py) -------------------
    JSON_MAX_BYTES = 1024 * 1024  # a JSON body (the scanner's offline batch of 500 is ~150 KB)
    XLSX_MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024  # sum of the zip's members as declared, checked before reading
    XLSX_MAX_RATIO = 100  # uncompressed/compressed per member; Excel's own files stay under ~20
    XLSX_MAX_CELLS = 500_000  # cells read (empty ones included), so an empty-row bomb stops early
    XLSX_MAX_TEXT = 2000  # characters in one cell
    XLSX_MAX_SECONDS = 20
    HSTS_SECONDS = 0  # Strict-Transport-Security max-age; production sends a year

    # --- Worker trust (eventsvc/checkin/public, checkin/operations/review.py) ---------------------------
    # One phone may check in this many different people at one event (someone helping colleagues); its
    # further check-ins are stored as 待核实 and counted only once an organizer confirms them.
    PENDING_DEVICE_LIMIT = 3
    # Shown above every public check-in and registration form, with a required consent box (PIPL):
    # who holds the data, what for, how long, whom to contact. Set the contact line for your deployment.
    PRIVACY_NOTICE = (
        "您填写的姓名、手机号、单位和人群类别由龙岗区总工会及本场活动主办单位保存，"
        "仅用于本次活动签到统计和工会服务，不会向第三方提供；自最后一次参加活动起保存 3 年，之后匿名化处理。"
        "如需查询、更正或删除您的信息，请联系本场活动主办单位或龙岗区总工会办公室。"
    )
    PRIVACY_CONSENT_LABEL = "我已阅读并同意上述个人信息使用说明"

    # --- SMS (eventsvc/core/sms): EVENTSVC_SMS_BACKEND = console | aliyun | tencent -------------------
    SMS_BACKEND = "console"  # writes codes to the log; refused in production
    SMS_SIGN_NAME = ""  # the approved signature, e.g. 龙岗区总工会
    SMS_TEMPLATES = ""  # JSON: {"verify_code": "SMS_123", "event_reminder": "SMS_456", ...}
    SMS_TIMEOUT_SECONDS = 5
    SMS_ALIYUN_ACCESS_KEY_ID = ""
    SMS_ALIYUN_ACCESS_KEY_SECRET = ""
    SMS_ALIYUN_ENDPOINT = "dysmsapi.aliyuncs.com"  # a full http:// URL points tests at a local fake
    SMS_TENCENT_SECRET_ID = ""
    SMS_TENCENT_SECRET_KEY = ""
    SMS_TENCENT_SDK_APP_ID = ""
    SMS_TENCENT_REGION = "ap-guangzhou"
    SMS_TENCENT_ENDPOINT = "sms.tencentcloudapi.com"

    # --- Notices (eventsvc/notices): the outbox worker `flask notices deliver` ---------------------------
    WALL_POLL_SECONDS = 5  # how often the venue wall (签到墙) asks for new figures
    NOTICE_POLL_SECONDS = 5  # how long the worker waits when nothing is due
    NOTICE_BATCH_SIZE = 50
    NOTICE_MAX_ATTEMPTS = 5  # then the notice is marked 发送失败 and shown on the event's 短信通知 page
    NOTICE_RETRY_SECONDS = 60  # first retry after this, doubling each time (at most an hour)

    # --- Rate limits (Flask-Limiter, eventsvc/core/ratelimits.py) --------------------------------------
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_STORAGE_URL = "memory://"  # redis://host:port/0 when several app servers share the limits
    # Public pages are keyed by client IP, and at a venue hundreds of phones share one carrier NAT address:
    # a 500-person event where most people scan within two minutes makes ~250 POSTs a minute from one IP,
    # so 600/minute leaves twice that. The per-device limit is what stops one phone inventing people.
    RATELIMIT_PUBLIC_CHECKIN_PER_IP = "600/minute"
    RATELIMIT_PUBLIC_CHECKIN_PER_DEVICE = "6/minute;60/hour"  # one phone helping a few colleagues
    # Alibaba Cloud's default flow control for verification codes is 1/minute, 5/hour, 10/day per number;
    # matching it answers our users before the provider refuses (and bills) the attempt.
    RATELIMIT_SMS_PER_PHONE = "1/minute;5/hour;10/day"
    RATELIMIT_SMS_PER_IP = "60/minute;600/hour"  # a venue queue of registered people who lost their ticket link
    RATELIMIT_LOGIN = "30/minute;300/hour"  # per IP; a street office of 20 staff shares one address
    # Door staff scan at most one person every 1-2 s; offline sync replays a queue in a burst.
    RATELIMIT_SCANNER_PER_USER = "240/minute"

    # --- Audit log (eventsvc/audit) ----------------------------------------------------------------------
    AUDIT_RETENTION_DAYS = 0  # `flask audit purge` deletes entries older than this; 0 keeps them forever

    # --- Staff logins (eventsvc/orgs/operations/logins.py): failures per typed username and per client IP -------
    LOGIN_MAX_FAILURES = 5  # wrong passwords for one username within the window before it locks
    LOGIN_MAX_FAILURES_PER_IP = 30  # a street office of 20 staff shares one address
    LOGIN_FAILURE_WINDOW_MINUTES = 15
    LOGIN_LOCKOUT_MINUTES = 15

    # --- Privacy (eventsvc/privacy): `flask privacy purge` anonymizes people inactive this long ------------
    PRIVACY_RETENTION_DAYS = 3 * 365


class TestConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False  # tests that check limits turn it on


class ProductionConfig(Config):
    ENV_NAME = "production"
    SECRET_KEY = None
    SMS_BACKEND = ""  # must be chosen (aliyun or tencent); console is refused here
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS_SECONDS = 365 * 24 * 3600


_INT_KEYS = {
    "CHECKIN_OPENS_MINUTES_BEFORE", "DYNAMIC_QR_REFRESH_SECONDS", "DYNAMIC_QR_VALID_SECONDS",
    "DYNAMIC_QR_FORM_GRACE_SECONDS", "UNDO_WINDOW_MINUTES", "PARTICIPANT_COOKIE_DAYS", "PAGE_SIZE",
    "MAX_CONTENT_LENGTH", "IMPORT_MAX_BYTES",
}
_INT_KEYS |= {"PROXY_FIX_HOPS"}
_INT_KEYS |= {"PENDING_DEVICE_LIMIT"}
_INT_KEYS |= {"UPLOAD_MAX_PHOTO_BYTES", "UPLOAD_MAX_DOCUMENT_BYTES", "UPLOAD_MAX_PHOTO_PIXELS"}
_INT_KEYS |= {"PRIVACY_RETENTION_DAYS"}
_INT_KEYS |= {"AUDIT_RETENTION_DAYS"}
_INT_KEYS |= {"WALL_POLL_SECONDS", "NOTICE_POLL_SECONDS", "NOTICE_BATCH_SIZE", "NOTICE_MAX_ATTEMPTS",
              "NOTICE_RETRY_SECONDS"}
_INT_KEYS |= {"JSON_MAX_BYTES", "XLSX_MAX_UNCOMPRESSED_BYTES", "XLSX_MAX_RATIO", "XLSX_MAX_CELLS",
              "XLSX_MAX_TEXT", "XLSX_MAX_SECONDS", "HSTS_SECONDS"}
_INT_KEYS |= {"LOGIN_MAX_FAILURES", "LOGIN_MAX_FAILURES_PER_IP", "LOGIN_FAILURE_WINDOW_MINUTES",
              "LOGIN_LOCKOUT_MINUTES"}
_BOOL_KEYS = {"SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE", "WTF_CSRF_ENABLED", "DB_CHECKOUT_CHECK"}
_BOOL_KEYS |= {"RATELIMIT_ENABLED", "RATELIMIT_HEADERS_ENABLED"}


def load_config(config: dict[str, Any] | type | None) -> dict[str, Any]:
    """Build the effective settings: class defaults, then environment, then explicit overrides."""
    env_name = os.environ.get("EVENTSVC_ENV", "development")
    # Anything but "development" (a typo, "staging", "prod") gets production's rules, never the dev defaults.
    base: type = Config if env_name == "development" else ProductionConfig
    overrides: dict[str, Any] = {}
    if isinstance(config, type):
        base = config
    elif config:
        overrides = dict(config)
        if overrides.get("TESTING"):
            base = TestConfig
    settings = {k: getattr(base, k) for k in dir(base) if k.isupper()}
    for key, value in os.environ.items():
        if key.startswith("EVENTSVC_") and key not in ("EVENTSVC_ENV", "EVENTSVC_INSTANCE_PATH"):
            name = key[len("EVENTSVC_"):]
            if name in _INT_KEYS:
                settings[name] = int(value)
            elif name in _BOOL_KEYS:
                settings[name] = value.lower() in ("1", "true", "yes", "on")
            else:
                settings[name] = value
    if os.environ.get("SECRET_KEY"):
        settings["SECRET_KEY"] = os.environ["SECRET_KEY"]
    if os.environ.get("DATABASE_URL"):
        settings["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    settings.update(overrides)
    return settings


def secret_key_problem(settings: Mapping[str, Any]) -> str | None:
    """Say why the app must not start with this SECRET_KEY, or None when it may.

    The development key (or any short key) is accepted only by tests and by the `flask` command in development
    (`make run`); anything else, such as gunicorn serving wsgi.py, is treated as production whatever EVENTSVC_ENV
    says, because a known key lets anyone forge a logged-in session.
    """
    key = settings.get("SECRET_KEY") or ""
    if settings.get("TESTING"):
        return None if key else "SECRET_KEY must be set"
    developing = settings.get("ENV_NAME") == "development" and os.environ.get("FLASK_RUN_FROM_CLI") == "true"
    if developing and key:
        return None
    how = ("set SECRET_KEY to a random value of at least 32 bytes, e.g. "
           "SECRET_KEY=\"$(python3 -c 'import secrets; print(secrets.token_hex(32))')\" and EVENTSVC_ENV=production")
    if not key:
        return f"SECRET_KEY must be set outside development: {how}"
    if key == DEV_SECRET_KEY:
        return f"SECRET_KEY is the development key, which must never serve real users: {how}"
    if len(str(key).encode()) < MIN_SECRET_KEY_BYTES:
        return f"SECRET_KEY is shorter than {MIN_SECRET_KEY_BYTES} bytes: {how}"
    return None
