"""Page numbers for long lists."""
from __future__ import annotations

from flask import current_app, request

MAX_PAGE = 100_000  # a larger page number would overflow the database's OFFSET; such pages are empty anyway


def page_args() -> tuple[int, int]:
    """Return (page, per_page) from the query string, clamped to sane values."""
    try:
        page = min(max(1, int(request.args.get("page", 1))), MAX_PAGE)
    except ValueError:
        page = 1
    return page, int(current_app.config.get("PAGE_SIZE", 30))
