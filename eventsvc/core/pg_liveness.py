"""Pooled PostgreSQL connections checked for life without a round trip.

SQLAlchemy's `pool_pre_ping` sends a query before every request's first statement: one more round trip on
every request (a check-in is a handful of statements). A connection in the pool has no query outstanding, so
the server has nothing to say on it: if its socket is readable, the server has closed it or said why it is
closing it (a restart, a terminated backend), and a dead peer shows as end-of-file, which is readable too.
`select()` with no timeout answers that from the kernel; such a connection is refused at checkout
(`DisconnectionError`) and the pool opens a fresh one, as pre-ping would have, so requests after a restart
succeed (tests/core/test_pg_restart.py).
"""
from __future__ import annotations

import select
from typing import Any

from sqlalchemy import Engine, event, exc


def is_dead(dbapi_connection: Any) -> bool:
    """Tell whether an idle psycopg connection is closed, broken, or has something unread from the server."""
    if getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False):
        return True
    try:
        readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    except (OSError, ValueError, AttributeError):
        return True
    return bool(readable)


def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    if is_dead(dbapi_connection):
        raise exc.DisconnectionError("the server closed this pooled connection")


def check_at_checkout(engine: Engine) -> None:
    """Install the check on a PostgreSQL engine's pool (other databases have no server to lose)."""
    if engine.dialect.name == "postgresql" and not event.contains(engine.pool, "checkout", _on_checkout):
        event.listen(engine.pool, "checkout", _on_checkout)
