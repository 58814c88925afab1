"""Hot-path statements as driver SQL: written once, run without SQLAlchemy building or compiling anything.

A worker's check-in is a handful of short statements; building each as a Core construct costs more CPU
than the database spends on it (cache keys, `.excluded` proxies, compilation lookups). The few
statements on that path are plain SQL strings with `:name` parameters, translated once per dialect
(psycopg wants `%(name)s`, sqlite3 takes `:name` as is) and run with `exec_driver_sql` on the
session's own connection and transaction. Values come back as the driver gives them: SQLite returns
DATETIME columns as text: `as_datetime` reads such a value the way SQLAlchemy's own type would.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, CursorResult

_NAMED = re.compile(r"(?<![:\w]):(\w+)")
_translated: dict[tuple[str, str], str] = {}


def _for_driver(conn: Connection, sql: str) -> str:
    key = (conn.dialect.paramstyle, sql)
    found = _translated.get(key)
    if found is None:
        found = sql if conn.dialect.name == "sqlite" else _NAMED.sub(r"%(\1)s", sql)
        _translated[key] = found
    return found


def _sqlite_value(value: Any) -> Any:
    # SQLAlchemy stores SQLite DATETIME as this text; the raw rows must sort and parse like its own.
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value


def as_datetime(value: Any) -> datetime | None:
    """A DATETIME value as the driver gave it (datetime from psycopg, text from sqlite3) as a datetime."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def run(conn: Connection, sql: str, params: Mapping[str, Any] | None = None) -> CursorResult[*tuple[Any, ...]]:
    """Execute `sql` (with `:name` parameters) on `conn` through the driver."""
    values = dict(params or {})
    if conn.dialect.name == "sqlite":
        values = {k: _sqlite_value(v) for k, v in values.items()}
    return conn.exec_driver_sql(_for_driver(conn, sql), values)
