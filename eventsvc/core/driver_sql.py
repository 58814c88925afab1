"""Hot-path statements as driver SQL: written once, run without SQLAlchemy building or compiling anything.

A worker's check-in is a handful of short statements; building each as a Core construct costs more CPU
than the database spends on it (cache keys, `.excluded` proxies, compilation lookups). The few
statements on that path are plain SQL strings with `:name` parameters, translated once per dialect
(sqlite3 takes `:name` as is; on PostgreSQL, `$1`, `$2` … sent as they are through psycopg's RawCursor,
or `%(name)s` the SQLAlchemy way) and run on the session's own connection and transaction. Values come
back as the driver gives them: SQLite returns DATETIME columns as text: `as_datetime` reads such a value
the way SQLAlchemy's own type would.

Even `exec_driver_sql` costs about as much again as the statement itself (an execution context, result
metadata, event dispatch), so `run` hands the statement to the DBAPI cursor of the same connection and reads
every row at once (`Rows`) — unless something listens for cursor events (statement counters in tests,
tracing), which then goes the SQLAlchemy way and sees every statement. Driver errors still come out as
SQLAlchemy's exceptions (IntegrityError, OperationalError …), and a lost PostgreSQL connection is
invalidated as SQLAlchemy would.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, exc
from sqlalchemy.dialects import postgresql

_NAMED = re.compile(r"(?<![:\w]):(\w+)")
_translated: dict[tuple[str, str], str] = {}
_raw: dict[str, tuple[bytes, tuple[str, ...]]] = {}
_PG_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE: connected, no transaction open
_PG_TUPLES_OK = 2  # psycopg.pq.ExecStatus.TUPLES_OK: the statement returned rows (maybe none)


def _for_driver(conn: Connection, sql: str) -> str:
    key = (conn.dialect.paramstyle, sql)
    found = _translated.get(key)
    if found is None:
        found = sql if conn.dialect.name == "sqlite" else _NAMED.sub(r"%(\1)s", sql)
        _translated[key] = found
    return found


def pg_typed(column: ColumnElement[Any], name: str = "") -> str:
    """The parameter `:name` (default: the column's name) cast to `column`'s PostgreSQL type: in INSERT … SELECT
    nothing else tells PostgreSQL its type. Without a length: a cast to VARCHAR(n) would cut a longer text
    where the column refuses it."""
    sql_type = column.type.compile(dialect=postgresql.dialect())
    return f"CAST(:{name or column.name} AS {sql_type.split('(')[0]})"


def _for_psycopg_raw(sql: str) -> tuple[bytes, tuple[str, ...]]:
    """`sql` with PostgreSQL's own $n placeholders, and the parameter names in their order (a name used twice is
    one parameter). psycopg's RawCursor sends it as it is: a `%(name)s` query is parsed again on every call once
    it is longer than psycopg's cache takes (4 KB, which a check-in's statement with its riders passes)."""
    found = _raw.get(sql)
    if found is None:
        names: list[str] = []

        def number(match: re.Match[str]) -> str:
            if match.group(1) not in names:
                names.append(match.group(1))
            return f"${names.index(match.group(1)) + 1}"

        found = _raw[sql] = (_NAMED.sub(number, sql).encode(), tuple(names))
    return found


def _raw_cursor(conn: Any) -> Any:
    from psycopg import RawCursor  # only ever asked for on PostgreSQL, where psycopg is installed

    return RawCursor(conn)


def _returns_rows(cursor: Any) -> bool:
    result = getattr(cursor, "pgresult", None)
    if result is not None:  # psycopg: without building `description`, a list of column objects, per statement
        return bool(result.status == _PG_TUPLES_OK)
    return cursor.description is not None


def _sqlite_value(value: Any) -> Any:
    # SQLAlchemy stores SQLite DATETIME as this text; the raw rows must sort and parse like its own.
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value


def as_datetime(value: Any) -> datetime | None:
    """A DATETIME value as the driver gave it (datetime from psycopg, text from sqlite3) as a datetime."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


class Rows:
    """A statement's rows, fetched at once: the ways the hot path reads a result (as on a CursorResult)."""

    __slots__ = ("_rows",)

    def __init__(self, rows: Sequence[Any]) -> None:
        self._rows = rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)

    def first(self) -> Any:
        """The first row, or None."""
        return self._rows[0] if self._rows else None

    def one(self) -> Any:
        """The only row; NoResultFound / MultipleResultsFound otherwise."""
        if not self._rows:
            raise exc.NoResultFound("No row was found when one was required")
        if len(self._rows) > 1:
            raise exc.MultipleResultsFound("Multiple rows were found when exactly one was required")
        return self._rows[0]

    def scalar(self) -> Any:
        """The first column of the first row, or None."""
        return self._rows[0][0] if self._rows else None

    def scalar_one(self) -> Any:
        """The first column of the only row."""
        return self.one()[0]


def run(conn: Connection, sql: str, params: Mapping[str, Any] | None = None) -> Rows:
    """Execute `sql` (with `:name` parameters) on `conn` through the driver; all rows are read at once."""
    values = dict(params or {})
    if conn.dialect.name == "sqlite":
        values = {k: _sqlite_value(v) for k, v in values.items()}
    statement = _for_driver(conn, sql)
    if conn.dispatch.before_cursor_execute or conn.dispatch.after_cursor_execute:
        result = conn.exec_driver_sql(statement, values)
        return Rows(list(result) if result.returns_rows else [])
    fairy = conn.connection  # the pooled DBAPI connection inside the session's transaction
    query: str | bytes = statement
    arguments: Mapping[str, Any] | list[Any] = values
    if conn.dialect.name == "postgresql":
        query, names = _for_psycopg_raw(sql)
        cursor, arguments = _raw_cursor(fairy.driver_connection), [values[name] for name in names]
    else:
        cursor = fairy.cursor()
    try:
        cursor.execute(query, arguments)
        rows = cursor.fetchall() if _returns_rows(cursor) else []
    except conn.dialect.loaded_dbapi.Error as error:
        invalidated = conn.dialect.is_disconnect(error, fairy, cursor)
        wrapped = exc.DBAPIError.instance(statement, values, error, conn.dialect.loaded_dbapi.Error,
                                          hide_parameters=conn.engine.hide_parameters,  # no phones in logs
                                          connection_invalidated=invalidated, dialect=conn.dialect)
        if invalidated:
            conn.invalidate(wrapped)
        raise wrapped from error
    finally:
        cursor.close()
    return Rows(rows)


def read(conn: Connection, sql: str, params: Mapping[str, Any] | None = None) -> Rows:
    """Run a plain read (never a locking one) as `run` does; on PostgreSQL, outside a transaction if none is open.

    psycopg opens a transaction with its own round trip (BEGIN) before the first statement, and the pool ends
    it with another (ROLLBACK): a request that only reads (a repeat check-in, the answer page, a stamp check)
    would pay three round trips for one. Under READ COMMITTED each statement takes its own snapshot anyway,
    so the read sees the same rows outside; SQLite's driver runs reads outside a transaction in any case. A
    read after a write in the same transaction stays inside it and sees that write.
    """
    return run_alone(conn, sql, params)


def run_alone(conn: Connection, sql: str, params: Mapping[str, Any] | None = None) -> Rows:
    """Run one statement that is a whole unit of work by itself: a read, or every write of a request in one
    statement. On PostgreSQL with no transaction open it runs in autocommit: the statement is atomic on its
    own, and BEGIN and COMMIT would be two more round trips. Inside an open transaction (or on SQLite) it is
    `run`; the caller's commit then ends it as usual, and finds nothing to commit after an autocommit.
    """
    if conn.dialect.name != "postgresql":
        return run(conn, sql, params)
    raw = conn.connection.driver_connection
    if raw is None or raw.autocommit or raw.info.transaction_status != _PG_IDLE:
        return run(conn, sql, params)
    raw.autocommit = True  # local to psycopg while idle: no round trip
    try:
        return run(conn, sql, params)
    finally:
        if not raw.closed:
            raw.autocommit = False
