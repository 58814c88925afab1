"""Page numbers for long lists."""
from __future__ import annotations

from flask import current_app, request


def page_args() -> tuple[int, int]:
    """Return (page, per_page) from the query string, clamped to sane values."""
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    return page, int(current_app.config.get("PAGE_SIZE", 30))
