"""core.driver_sql.run: the DBAPI cursor way and the SQLAlchemy way (taken while cursor events are listened
for) give the same rows and the same errors, on the app's database (SQLite, or PostgreSQL in CI)."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Connection, exc

from eventsvc.core import driver_sql
from tests.statements import seen_statements

_CREATE = "CREATE TABLE driver_sql_probe (id INTEGER PRIMARY KEY, code VARCHAR(20) NOT NULL UNIQUE, at TIMESTAMP)"
_INSERT = "INSERT INTO driver_sql_probe (id, code, at) VALUES (:id, :code, :at) ON CONFLICT DO NOTHING RETURNING id"


@pytest.fixture
def probe(app: Flask, db: SQLAlchemy) -> Iterator[SQLAlchemy]:
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS driver_sql_probe")
        conn.exec_driver_sql(_CREATE)
    try:
        yield db
    finally:
        db.session.rollback()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE driver_sql_probe")


@pytest.fixture(params=["cursor", "sqlalchemy"])
def way(request: pytest.FixtureRequest, probe: SQLAlchemy, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Run the test once on the cursor way (SQLAlchemy's execution refused) and once with a cursor listener,
    which takes the SQLAlchemy way: the list holds the statements the listener saw."""
    if request.param == "cursor":
        def refuse(*args: Any, **kwargs: Any) -> None:
            raise AssertionError("driver_sql.run went through exec_driver_sql without a cursor listener")

        monkeypatch.setattr(Connection, "exec_driver_sql", refuse)
        yield []
        return
    with seen_statements(probe.engine) as seen:
        yield seen


def _run(db: SQLAlchemy, sql: str, params: dict[str, Any] | None = None) -> driver_sql.Rows:
    return driver_sql.run(db.session.connection(), sql, params)


def test_rows_read_as_a_result_would(request: pytest.FixtureRequest, probe: SQLAlchemy, way: list[str]) -> None:
    at = datetime(2026, 11, 22, 9, 30, 5, 123456)
    assert _run(probe, _INSERT, {"id": 1, "code": "a", "at": at}).scalar() == 1
    assert _run(probe, _INSERT, {"id": 2, "code": "b", "at": None}).scalar_one() == 2
    assert _run(probe, _INSERT, {"id": 3, "code": "a", "at": None}).scalar() is None  # conflict: no row back
    both = _run(probe, "SELECT id, code, at FROM driver_sql_probe ORDER BY id")
    assert [tuple(row)[:2] for row in both] == [(1, "a"), (2, "b")]
    first = _run(probe, "SELECT id, code, at FROM driver_sql_probe WHERE code = :code", {"code": "a"}).one()
    assert (first[0], first[1], driver_sql.as_datetime(first[2])) == (1, "a", at)
    assert _run(probe, "SELECT id FROM driver_sql_probe WHERE code = :code", {"code": "z"}).first() is None
    assert _run(probe, "SELECT id FROM driver_sql_probe WHERE code = :code", {"code": "z"}).scalar() is None
    with pytest.raises(exc.NoResultFound):
        _run(probe, "SELECT id FROM driver_sql_probe WHERE id > :id", {"id": 5}).one()
    with pytest.raises(exc.MultipleResultsFound):
        _run(probe, "SELECT id FROM driver_sql_probe WHERE id > :id", {"id": 0}).scalar_one()
    assert list(_run(probe, "UPDATE driver_sql_probe SET code = :code WHERE id = :id", {"code": "c", "id": 2})) == []
    probe.session.commit()  # the statements ran in the session's transaction, and it commits them
    assert _run(probe, "SELECT code FROM driver_sql_probe WHERE id = 2").scalar() == "c"
    listened = request.node.callspec.params["way"] == "sqlalchemy"
    assert len(way) == (11 if listened else 0)  # a listener saw every statement


def test_driver_errors_come_out_as_sqlalchemy_errors_without_values(probe: SQLAlchemy, way: list[str]) -> None:
    _run(probe, _INSERT, {"id": 1, "code": "13800138000", "at": None})
    with pytest.raises(exc.IntegrityError) as caught:  # the same id again, no ON CONFLICT: primary key
        _run(probe, "INSERT INTO driver_sql_probe (id, code) VALUES (:id, :code)", {"id": 1, "code": "13900139000"})
    assert "13900139000" not in str(caught.value)  # hide_parameters: a logged error carries no phone number
    probe.session.rollback()
    with pytest.raises(exc.DBAPIError):
        _run(probe, "SELECT no_such_column FROM driver_sql_probe")
    probe.session.rollback()
    assert _run(probe, "SELECT count(*) FROM driver_sql_probe").scalar() == 0  # the failed transaction rolled back


def test_a_read_opens_no_transaction_and_one_after_a_write_sees_it(probe: SQLAlchemy, way: list[str]) -> None:
    """driver_sql.read: on PostgreSQL no BEGIN (nor the pool's ROLLBACK) for reads before any write; a read
    after a write stays in that transaction. SQLite's driver runs reads outside a transaction anyway."""
    db = probe
    db.session.remove()
    _run(db, _INSERT, {"id": 1, "code": "a", "at": None})
    db.session.commit()
    conn = db.session.connection()
    raw = conn.connection.driver_connection
    postgres = conn.dialect.name == "postgresql"

    def in_transaction() -> bool:
        return bool(raw.info.transaction_status != 0) if postgres else bool(raw.in_transaction)

    assert driver_sql.read(conn, "SELECT code FROM driver_sql_probe WHERE id = :id", {"id": 1}).scalar() == "a"
    assert not in_transaction()
    if postgres:
        assert raw.autocommit is False  # back as SQLAlchemy left it
    _run(db, _INSERT, {"id": 2, "code": "b", "at": None})
    assert in_transaction()
    assert driver_sql.read(conn, "SELECT COUNT(*) FROM driver_sql_probe").scalar() == 2  # its own write
    db.session.rollback()  # the read did not commit the write
    assert driver_sql.read(db.session.connection(), "SELECT COUNT(*) FROM driver_sql_probe").scalar() == 1


def test_a_name_used_twice_a_cast_and_a_long_statement(probe: SQLAlchemy, way: list[str]) -> None:
    """One value for a name used twice, `::` left alone, and a statement past psycopg's 4 KB query cache runs as
    a short one does (PostgreSQL's cursor way numbers the names $1, $2 … once per statement)."""
    _run(probe, _INSERT, {"id": 1, "code": "a", "at": None})
    twice = "SELECT id FROM driver_sql_probe WHERE code = :code OR (code || 'x') = (:code || 'x')"
    assert _run(probe, twice, {"code": "a"}).scalar() == 1
    cast = "SELECT CAST(id AS VARCHAR(10)) || ':' || :code FROM driver_sql_probe WHERE id = :id"
    assert _run(probe, cast, {"id": 1, "code": "b"}).scalar() == "1:b"
    long = "SELECT id FROM driver_sql_probe WHERE " + " OR ".join(f"code = :c{i}" for i in range(400))
    assert len(long) > 4096
    assert _run(probe, long, {f"c{i}": "a" if i == 399 else f"n{i}" for i in range(400)}).scalar() == 1
    if way:
        assert len(way) == 4  # the SQLAlchemy way saw each statement
    if probe.session.get_bind().dialect.name == "postgresql":
        query, names = driver_sql._for_psycopg_raw(twice)
        assert names == ("code",) and query.count(b"$1") == 2 and b"$2" not in query
