"""Declarative base with a constraint naming convention and shared column mixins."""
from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import CheckConstraint, DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, make_transient_to_detached, mapped_column, scoped_session
from sqlalchemy.orm.util import identity_key

from eventsvc.core.timeutil import utcnow

# Named constraints keep Alembic diffs stable and let SQLite batch migrations drop them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def one_of(column: str, values: Iterable[str]) -> CheckConstraint:
    """A CHECK that `column` holds one of `values`, named ck_<table>_<column> by the convention."""
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=column)


class TimestampMixin:
    """UTC creation and update times (naive datetimes, always UTC)."""

    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


def attach_as_loaded(session: Session | scoped_session[Any], obj: Any) -> None:
    """Put an object built from a row read or written with driver SQL into the session as loaded (persistent,
    nothing read back; attributes not set load if touched)."""
    make_transient_to_detached(obj)
    session.add(obj)


T = TypeVar("T")


def loaded(session: Session | scoped_session[Any], model: type[T], ident: int, build: Callable[[], T]) -> T:
    """The session's object for this row if it holds one already, else `build()` put in as loaded
    (attach_as_loaded): a row read or written with driver SQL becomes one object per session, as a query's."""
    found = session.identity_map.get(identity_key(model, ident))
    if found is None:
        found = build()
        attach_as_loaded(session, found)
    return found


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """A SAVEPOINT that stays inside the surrounding transaction on every database.

    Python's sqlite3 runs SELECTs outside a transaction and does not BEGIN before SAVEPOINT, so
    a savepoint opened after only reads would become the outermost transaction and its RELEASE
    would commit. Opening the real transaction first keeps a later rollback complete. Reads before
    it still run outside, so concurrent writers wait on the lock instead of failing on a stale snapshot.
    """
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        raw = conn.connection.driver_connection
        if raw is not None and not raw.in_transaction:
            raw.execute("BEGIN")
    with session.begin_nested():
        yield


_SQLITE_WRITER = threading.RLock()
_WRITER_WAIT_SECONDS = 5.0
# (process, database file) -> descriptor of the writer gate file: flock belongs to an open file, which a
# forked process would share, so each process opens its own.
_GATES: dict[tuple[int, str], int] = {}


def _gate_fd(database: str | None) -> int | None:
    """This process's descriptor of the gate file beside the SQLite file (None for an in-memory database)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    key = (os.getpid(), database)
    if key not in _GATES:
        try:
            _GATES[key] = os.open(database + ".writer", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:  # a read-only folder: SQLite's own locking still decides, only slower
            _GATES[key] = -1
    fd = _GATES[key]
    return fd if fd >= 0 else None


@contextmanager
def one_sqlite_writer(session: Session | scoped_session[Any]) -> Iterator[None]:
    """On SQLite, let one thread at a time, across this machine's worker processes, write and commit.

    SQLite has one write lock. Writers that find it taken sleep in its busy handler (1, 2, 5 … 100 ms steps)
    and often sleep on after it is free, while the holder's process hands the lock from thread to thread.
    Queued instead on a process lock and then on an flock of a file beside the database (the kernel wakes
    the next waiter the moment the last one commits, and frees it if its process dies), a burst of check-ins
    runs back to back. The block should hold the writes and the commit, no more (reads before it run
    concurrently); on an error it rolls back before letting the next writer in.
    """
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    # Bounded: a caller that already holds SQLite's lock (a write before this block) must not wait for a
    # thread that waits for that lock; past the bound it goes ahead, and SQLite's own locking decides.
    held = _SQLITE_WRITER.acquire(timeout=_WRITER_WAIT_SECONDS)
    # The flock holder only ever waits on SQLite's busy timeout, so a wait here ends within that bound too.
    fd = _gate_fd(bind.engine.url.database) if held else None
    try:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    except BaseException:
        session.rollback()
        raise
    finally:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
        if held:
            _SQLITE_WRITER.release()
