"""Statements built once per process and shape, their values bound at each execution.

Building a grouped select with SQLAlchemy (coercing every column and clause) and computing its cache
key cost several times what SQLite needs to run it: a dashboard refresh spent most of its time there.
A statement kept here is built the first time its shape is asked for; its variable parts are named
bind parameters (`ids` for id lists), so the same object, with its memoized cache key, serves every
request. The key must name everything the builder's output depends on (never a value that varies).
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import Integer, bindparam

T = TypeVar("T")

_built: dict[Hashable, Any] = {}


def built(key: Hashable, make: Callable[[], T]) -> T:
    """Return the statement kept under `key`, building it with `make` the first time."""
    try:
        stmt: T = _built[key]
    except KeyError:
        # Two threads may both build it: the results are equal, the first one stored is kept.
        stmt = _built.setdefault(key, make())
    return stmt


def ids(name: str) -> Any:
    """A list of ids for an IN, given at execution as `name=[…]` and written into the SQL as numbers
    (as rollup.id_list does for a value known while building)."""
    return bindparam(name, type_=Integer, expanding=True, literal_execute=True)


def _id_values(values: Any) -> list[int]:
    """The ids to pass for an `ids` parameter (given converts lists)."""
    return [int(v) for v in values]


def param(name: str, like: Any) -> Any:
    """A value given at execution as `name=…`, typed like the column `like` (datetimes, dates, text)."""
    return bindparam(name, type_=like.type)


def everywhere(scope_path: Any) -> bool:
    """Whether a scope path ("" for everywhere, a path, or a kept statement's parameter) leaves out nothing."""
    return isinstance(scope_path, str) and not scope_path


def given(**values: Any) -> dict[str, Any]:
    """The parameters to execute a kept statement with: those given (None and "" mean not in its shape),
    id lists as ints."""
    return {name: _id_values(v) if isinstance(v, list | tuple | set) else v
            for name, v in values.items() if v is not None and v != ""}
