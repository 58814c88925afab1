"""Load one object by id within the acting user's scope, or answer 404 (out-of-scope objects look missing)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar, cast

from flask import abort

from eventsvc.core.inputs import MAX_ID
from eventsvc.extensions import db

T = TypeVar("T")


class ScopedUser(Protocol):
    def reaches(self, org: Any) -> bool: ...


def get_in_scope_or_404(
    model: type[T], object_id: int, user: ScopedUser, *, visible: Callable[[T], bool] | None = None,
    load: Callable[[int], T | None] | None = None,
) -> T:
    """Return `model` row `object_id` if the user may see it; by default "may see" means it reaches its organization.

    `load` replaces `session.get` where a cached load exists (checkin.event_cache.cached_event).
    """
    # Ids from forms and JSON reach here too: one beyond the INTEGER range would be a database error, not a 404.
    if not 1 <= object_id <= MAX_ID:
        obj = None
    else:
        obj = load(object_id) if load is not None else db.session.get(model, object_id)
    if obj is None:
        abort(404)
    # Without `visible`, the model is one with an `organization` (events, programs, ...).
    allowed = visible(obj) if visible is not None else user.reaches(cast(Any, obj).organization)
    if not allowed:
        abort(404)
    return obj
