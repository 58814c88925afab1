"""Small per-process caches of ORM rows, each entry checked against a cheap stamp read on every use.

Loading a row through the ORM costs several times the read itself. Where every request needs the same few
rows (the event workers scan, the staff member logged in), a process keeps a detached copy of each, with
the stamp it was loaded under: a driver read of the columns that change whenever the row (or a row it
depends on) changes, in whichever process (`updated_at` is set by every ORM change). A stamp that differs
loads the row again. A hit is merged into the request's session without a query (`merge(load=False)`), so
callers get an ordinary persistent object.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock
from typing import Any, Generic, TypeVar

from sqlalchemy import inspect
from sqlalchemy.orm import Session, make_transient_to_detached, scoped_session
from sqlalchemy.orm.attributes import set_committed_value

T = TypeVar("T")


def columns_copy(obj: T) -> T:
    """Return a detached instance holding `obj`'s column values (and nothing lazy-loaded)."""
    copy = type(obj)()
    for attr in inspect(type(obj)).column_attrs:
        setattr(copy, attr.key, getattr(obj, attr.key))
    make_transient_to_detached(copy)
    return copy


def detached_copy(obj: T, *relations: str) -> T:
    """Return a detached copy of `obj`'s columns and of the many-to-one `relations` (merged along with it)."""
    copy = columns_copy(obj)
    for name in relations:
        related = getattr(obj, name)
        set_committed_value(copy, name, columns_copy(related) if related is not None else None)
    return copy


class StampedCache(Generic[T]):
    """Detached copies by key, least recently used first out, each with the stamp it was loaded under."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[Any, T]] = OrderedDict()
        self._lock = Lock()

    def get(self, session: Session | scoped_session[Any], key: Hashable, stamp: Any) -> T | None:
        """Return the cached row merged into `session` if its stamp is `stamp`, else None (and drop it)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] != stamp:
            self.forget(key)
            return None
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
        return session.merge(entry[1], load=False)

    def lookup(self, session: Session | scoped_session[Any], key: Hashable, stamp: Any,
               load: Callable[[], T | None], *relations: str) -> T | None:
        """The row under `key`: None if `stamp` is None (it is gone), the cached copy if the stamp matches,
        else `load()` kept with its `relations` (the stamp was read before the row: a row that moved on in
        between is loaded again next time)."""
        if stamp is None:
            self.forget(key)
            return None
        cached = self.get(session, key, stamp)
        if cached is not None:
            return cached
        obj = load()
        if obj is not None:
            self.put(key, stamp, obj, *relations)
        return obj

    def put(self, key: Hashable, stamp: Any, obj: T, *relations: str) -> None:
        """Keep a detached copy of `obj` (and its `relations`), loaded under `stamp` (read before the row)."""
        copy = detached_copy(obj, *relations)
        with self._lock:
            self._entries[key] = (stamp, copy)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def forget(self, key: Hashable | None = None) -> None:
        """Drop one entry, or all of them (tests; a restore)."""
        with self._lock:
            if key is None:
                self._entries.clear()
            else:
                self._entries.pop(key, None)
