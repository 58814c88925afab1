"""Configuration: defaults for development, overridable by EVENTSVC_* and DATABASE_URL."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

INSTANCE_DIR = Path(os.environ.get("EVENTSVC_INSTANCE_PATH", Path.cwd() / "instance")).resolve()


class Config:
    ENV_NAME = "development"
    SECRET_KEY: str | None = "dev-only-insecure-key"
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{INSTANCE_DIR / 'eventsvc.sqlite3'}"
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {}
    WTF_CSRF_TIME_LIMIT = None  # a check-in form left open on a phone all day must still submit
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 12
    # Public base URL printed in QR codes and posters; empty means "use the request's host".
    PUBLIC_BASE_URL = ""
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


class TestConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False


class ProductionConfig(Config):
    ENV_NAME = "production"
    SECRET_KEY = None
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


_INT_KEYS = {
    "CHECKIN_OPENS_MINUTES_BEFORE", "DYNAMIC_QR_REFRESH_SECONDS", "DYNAMIC_QR_VALID_SECONDS",
    "DYNAMIC_QR_FORM_GRACE_SECONDS", "UNDO_WINDOW_MINUTES", "PARTICIPANT_COOKIE_DAYS", "PAGE_SIZE",
    "MAX_CONTENT_LENGTH", "IMPORT_MAX_BYTES",
}
_INT_KEYS |= {"UPLOAD_MAX_PHOTO_BYTES", "UPLOAD_MAX_DOCUMENT_BYTES", "UPLOAD_MAX_PHOTO_PIXELS"}
_BOOL_KEYS = {"SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE", "WTF_CSRF_ENABLED"}


def load_config(config: dict[str, Any] | type | None) -> dict[str, Any]:
    """Build the effective settings: class defaults, then environment, then explicit overrides."""
    env_name = os.environ.get("EVENTSVC_ENV", "development")
    base: type = ProductionConfig if env_name == "production" else Config
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
