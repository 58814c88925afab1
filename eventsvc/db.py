"""Declarative base with a constraint naming convention and shared column mixins."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

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
