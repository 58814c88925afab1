"""Parsed sheets kept between the import preview and its confirmation (a JSON file per random token).

A 500-row sheet is too big for the session cookie, so the rows wait on disk under the instance
folder; the token is random and names the file, and a preview older than a day is discarded.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any, Optional

from flask import current_app

MAX_AGE_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def _folder() -> Path:
    folder = Path(current_app.config.get("IMPORT_DIR") or Path(current_app.instance_path) / "imports")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sweep(folder: Path) -> None:
    """Delete previews nobody confirmed within a day."""
    limit = time.time() - MAX_AGE_SECONDS
    for path in folder.glob("*.json"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass


def save_preview(payload: dict[str, Any]) -> str:
    """Store a parsed sheet and return its token."""
    folder = _folder()
    _sweep(folder)
    token = secrets.token_urlsafe(24)
    tmp = folder / f".{token}.tmp"
    tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, folder / f"{token}.json")
    return token


def load_preview(token: str) -> Optional[dict[str, Any]]:
    """Return the stored sheet for a token, or None when unknown, malformed or expired."""
    if not token or not _TOKEN.match(token):
        return None
    path = _folder() / f"{token}.json"
    try:
        if path.stat().st_mtime < time.time() - MAX_AGE_SECONDS:
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def delete_preview(token: str) -> None:
    """Forget a preview once it has been imported."""
    if token and _TOKEN.match(token):
        try:
            (_folder() / f"{token}.json").unlink()
        except OSError:
            pass
