"""Choose the backend from EVENTSVC_STORAGE_URL and keep one per app."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask, current_app

from eventsvc.core.storage.base import Storage
from eventsvc.core.storage.local import LocalStorage

_EXTENSION_KEY = "eventsvc.storage"
_S3_PARAMS = {"endpoint_url", "region", "access_key", "secret_key", "addressing_style"}


def storage_from_url(url: str, instance_path: str | Path) -> Storage:
    """Build a backend: "" or file://[path] -> local files; s3://bucket/prefix?endpoint_url=…&region=… -> S3."""
    url = (url or "").strip()
    if not url or url.startswith("file:"):
        parts = urlsplit(url)
        raw_path = unquote(parts.netloc + parts.path)  # file://files/x is read as the relative path files/x
        root = Path(instance_path) / "files"
        if raw_path:
            root = Path(raw_path) if Path(raw_path).is_absolute() else Path(instance_path) / raw_path
        return LocalStorage(root)
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.hostname:
        raise ValueError("EVENTSVC_STORAGE_URL must be empty, file://PATH or s3://BUCKET/PREFIX?endpoint_url=…")
    params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=False).items()}
    unknown = set(params) - _S3_PARAMS
    if unknown:
        raise ValueError(f"unknown EVENTSVC_STORAGE_URL parameters: {', '.join(sorted(unknown))}")
    from eventsvc.core.storage.s3 import S3Storage  # boto3 is imported only when S3 is configured

    # The bucket sits in the host part, which urlsplit lowercases; take it verbatim from netloc instead.
    bucket = parts.netloc.rsplit("@", 1)[-1]
    return S3Storage(
        bucket, unquote(parts.path),
        endpoint_url=params.get("endpoint_url"), region=params.get("region"),
        access_key=params.get("access_key") or (unquote(parts.username) if parts.username else None),
        secret_key=params.get("secret_key") or (unquote(parts.password) if parts.password else None),
        addressing_style=params.get("addressing_style"),
    )


def get_storage(app: Flask | None = None) -> Storage:
    """Return the app's storage backend, built once from STORAGE_URL (env EVENTSVC_STORAGE_URL)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    storage = app.extensions.get(_EXTENSION_KEY)
    if storage is None:
        storage = storage_from_url(app.config.get("STORAGE_URL", ""), app.instance_path)
        app.extensions[_EXTENSION_KEY] = storage
    return storage
