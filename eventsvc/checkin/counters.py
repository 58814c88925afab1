"""Maintained counts, written in the same transaction as the check-ins they count.

- EventCount: per event, counted check-ins (人次) by method, pending (待核实) ones, and `seq`, the
  running number a new check-in gets (您是本场第 N 位; an undo leaves a gap, never a repeat).
- PersonReach: one row per (person, bucket, unit) where the bucket is a program (kind 'p', its id) or a
  year's programs together (kind 'y', the year), and the unit organized a counted event of the bucket the
  person attended (or runs a station whose visits count toward it) or lies above such a unit. Its
  first_starts_at is the earliest start among those events (a visit counts from its visited_at).
- ReachCount: how many PersonReach rows each (bucket, unit) has, bumped for every row inserted.
  Distinct 人 of a program (or a year) in a unit's subtree = ReachCount.people minus that bucket's rows
  whose first start is still to come (the session rule: few rows, found through an index).
- EventReach: for each event, the buckets and units a check-in there reaches (its programs and their
  years × its organizer and every unit above it), so the hot path inserts PersonReach rows from one
  indexed read. It follows the event's programs, organizer, the programs' years and the tree.
- EventTally: sums over published events per (program, organizer, level, primary or additional
  membership) and per (China-time month, organizer): 场次, the reported headcounts and the counted
  check-ins. Pages read these few rows instead of a year of events; events not started yet are
  subtracted by the reader (progress/tally.py).

The last four are derived rows without foreign keys: `counts rebuild` recomputes them whole and
`counts verify` proves them, and a foreign-key check per row would cost more than the row itself, on
the hot path and when millions are rebuilt (units, people and events are never deleted with rows that
count; the flush hooks follow what does change).

The hot path (operations.checkins) counts a new check-in with plain driver SQL written once per dialect
(core/driver_sql.py), no statement built per call: on PostgreSQL in the INSERT's own statement
(`pg_counted_after`), on SQLite (and for a pending one) by `added()` right after the INSERT. The event's
programs and units are read by the same statements, never cached. Everything done through the ORM (undo,
void, review, an event created, cancelled, moved or counted toward other programs, a station visit, a unit
moved) is caught by the flush hooks in progress/sync.py. progress/counters.py recomputes every table from
the raw rows (`flask counts verify|rebuild`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Connection, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from eventsvc.checkin.models import CANCELLED as REG_CANCELLED
from eventsvc.checkin.models import IMPORT, MANUAL, REGISTERED, SELF_SCAN, STAFF_SCAN, WAITLISTED
from eventsvc.core.driver_sql import run
from eventsvc.core.timeutil import LOCAL_OFFSET
from eventsvc.db import Base, one_of
from eventsvc.events.models import PUBLISHED

METHOD_COLUMNS = {SELF_SCAN: "by_self", STAFF_SCAN: "by_staff", MANUAL: "by_manual", IMPORT: "by_import"}
PROGRAM, YEAR, MONTH = "p", "y", "m"  # kinds of bucket: one program, every program of a year, a month


class EventCount(Base):
    """An event's check-in figures, kept equal to what the check_in rows say."""

    __tablename__ = "event_count"

    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    checkins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # counted (not pending)
    pending: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    by_self: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    by_staff: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    by_manual: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    by_import: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Registrations by status (the door's figures after every scan), kept by progress/sync.py.
    registered: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    waitlisted: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reg_cancelled: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


# Registration status -> its column in event_count.
REGISTRATION_COLUMNS = {REGISTERED: "registered", WAITLISTED: "waitlisted", REG_CANCELLED: "reg_cancelled"}
_REGISTRATIONS_SQL = (
    "INSERT INTO event_count (event_id, registered, waitlisted, reg_cancelled)"
    " VALUES (:event_id, :registered, :waitlisted, :reg_cancelled) ON CONFLICT (event_id) DO UPDATE SET"
    + ",".join(f" {c} = event_count.{c} + excluded.{c}" for c in REGISTRATION_COLUMNS.values())
)


def bump_registrations(conn: Connection | Session, event_id: int, deltas: dict[str, int]) -> None:
    """Add `deltas` (registration status -> change) to an event's registration figures, in the caller's
    transaction (a row lock on PostgreSQL, the write lock on SQLite: concurrent changes add up)."""
    values = {column: deltas.get(status, 0) for status, column in REGISTRATION_COLUMNS.items()}
    if any(values.values()):
        run(connection_of(conn), _REGISTRATIONS_SQL, {"event_id": event_id, **values})


class PersonReach(Base):
    """A person reached by a program (or a year's programs) within one unit's subtree (inserted once)."""

    __tablename__ = "person_reach"
    __table_args__ = (
        # Readers go by bucket and unit; the session rule looks for first starts still to come.
        Index("ix_person_reach_bucket", "kind", "bucket", "organization_id", "first_starts_at"),
        one_of("kind", [PROGRAM, YEAR]),
        {"sqlite_with_rowid": False},  # the primary key is the table: one B-tree fewer for millions of rows
    )

    participant_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(1), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)  # a program id (kind 'p') or a year ('y')
    organization_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_starts_at: Mapped[datetime] = mapped_column(DateTime)


class ReachCount(Base):
    """How many people a program (or a year's programs) reached within one unit's subtree, at any time."""

    __tablename__ = "reach_count"
    __table_args__ = (one_of("kind", [PROGRAM, YEAR]),)

    kind: Mapped[str] = mapped_column(String(1), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    people: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class EventReach(Base):
    """A bucket and unit that a counted check-in at this event reaches (its PersonReach rows to insert)."""

    __tablename__ = "event_reach"
    __table_args__ = (one_of("kind", [PROGRAM, YEAR]), {"sqlite_with_rowid": False})

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(1), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class EventTally(Base):
    """Sums over the published events of one organizer, per program and level (kind 'p': bucket is the
    program, is_primary tells its primary program from an additional one) or per month (kind 'm':
    bucket is yyyymm in China time, level '', each event once)."""

    __tablename__ = "event_tally"
    __table_args__ = (one_of("kind", [PROGRAM, MONTH]),)

    organization_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(1), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str] = mapped_column(String(10), primary_key=True)
    is_primary: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    sessions: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    onsite: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    online: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    checkins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


def dialect_insert(conn: Any, table: Any) -> Any:
    """Return the dialect's INSERT (both have ON CONFLICT) for `table`."""
    bind = conn.get_bind() if hasattr(conn, "get_bind") else conn  # a Session, scoped or not
    name = bind.dialect.name
    return (pg_insert if name == "postgresql" else sqlite_insert)(table)


def connection_of(conn: Connection | Session) -> Connection:
    """Return the Connection (and transaction) a Session, scoped or not, works on."""
    return conn if isinstance(conn, Connection) else conn.connection()


# --- the statements, written once -------------------------------------------------------------

_FIGURES = ("checkins", "pending", *METHOD_COLUMNS.values())
_BUMP_INTO = "INSERT INTO event_count (event_id, seq, " + ", ".join(_FIGURES) + ") "
_BUMP_VALUES = ":event_id, :seq, " + ", ".join(f":{name}" for name in _FIGURES)
_BUMP_CONFLICT = (
    "ON CONFLICT (event_id) DO UPDATE SET seq = event_count.seq + excluded.seq, "
    + ", ".join(f"{name} = event_count.{name} + excluded.{name}" for name in _FIGURES)
)
BUMP_SQL = f"{_BUMP_INTO}VALUES ({_BUMP_VALUES}) {_BUMP_CONFLICT} RETURNING seq"
# The event's figures as the door shows them (queries.event_counts reads the same columns, in this order).
SHOWN_FIGURES = ("checkins", "pending", *REGISTRATION_COLUMNS.values())


def bump(conn: Connection, event_id: int, method: str, pending: bool, delta: int, *, seq: int = 0) -> int:
    """Add `delta` check-ins of `method` to the event's figures and `seq` to its running number; return seq."""
    values = dict.fromkeys(_FIGURES, 0)
    values["pending" if pending else "checkins"] = delta
    if not pending and method in METHOD_COLUMNS:
        values[METHOD_COLUMNS[method]] = delta
    return int(run(conn, BUMP_SQL, {"event_id": event_id, "seq": seq, **values}).scalar_one())


def month_sql(column: str, dialect: str) -> str:
    """SQL for the China-time month (yyyymm) of a UTC timestamp column; whole seconds, as Python counts them."""
    hours = int(LOCAL_OFFSET.total_seconds() // 3600)
    if dialect == "postgresql":
        return f"CAST(to_char({column} + interval '{hours} hours', 'YYYYMM') AS INTEGER)"
    return f"CAST(strftime('%Y%m', substr({column}, 1, 19), '+{hours} hours') AS INTEGER)"


_PUBLISHED_EVENT = f"SELECT {{}} FROM event WHERE id = :event_id AND status = '{PUBLISHED}'"
_tally_sql: dict[tuple[str, str], str] = {}


def _tally_statement(dialect: str, gate: str = "") -> str:
    """The tally UPDATE; `gate`, a condition it also needs (PostgreSQL's one-statement check-in)."""
    sql = _tally_sql.get((dialect, gate))
    if sql is None:
        starts = "(" + _PUBLISHED_EVENT.format("starts_at") + ")"
        sql = _tally_sql[(dialect, gate)] = (
            "UPDATE event_tally SET checkins = checkins + :delta "
            f"WHERE {gate + ' AND ' if gate else ''}"
            "organization_id = (" + _PUBLISHED_EVENT.format("organization_id") + ") AND ("
            f"(kind = '{PROGRAM}' AND level = (SELECT level FROM event WHERE id = :event_id) AND ("
            "(is_primary AND bucket = (SELECT program_id FROM event WHERE id = :event_id)) OR (NOT is_primary "
            "AND bucket IN (SELECT program_id FROM event_program WHERE event_id = :event_id)))) "
            f"OR (kind = '{MONTH}' AND bucket = {month_sql(starts, dialect)}))")
    return sql


def tally(conn: Connection, event_id: int, delta: int) -> None:
    """Add `delta` counted check-ins to the tallies of the event (nothing unless it is published)."""
    run(conn, _tally_statement(conn.dialect.name), {"event_id": event_id, "delta": delta})


@dataclass(frozen=True)
class ReachSource:
    """How a counted row reaches its person: `earlier` moves first_starts_at back where this row starts
    earlier than known, `insert` adds the missing (bucket, unit) rows and returns them."""

    earlier: str
    insert: str


def cte_source(rows: str, starts: str) -> ReachSource:
    """A ReachSource from `rows`, a select of (program_id, organizer_id), and `starts`, the SQL value of
    its start: the buckets are each program and its year, the units the organizer and every unit above."""
    cte = (
        "WITH RECURSIVE src (program_id, organizer_id) AS (" + rows + "), "
        "anc (organizer_id, id) AS (SELECT DISTINCT organizer_id, organizer_id FROM src "
        "UNION SELECT anc.organizer_id, o.parent_id FROM anc JOIN organization o ON o.id = anc.id "
        "WHERE o.parent_id IS NOT NULL), "
        f"b (kind, bucket, organizer_id) AS (SELECT '{PROGRAM}', program_id, organizer_id FROM src "
        f"UNION SELECT '{YEAR}', p.year, src.organizer_id FROM src JOIN program p ON p.id = src.program_id) ")
    targets = "SELECT b.kind, b.bucket, anc.id FROM b JOIN anc ON anc.organizer_id = b.organizer_id"
    return ReachSource(
        earlier=cte + f"UPDATE person_reach SET first_starts_at = {starts} WHERE participant_id = :participant_id "
        f"AND first_starts_at > {starts} AND (kind, bucket, organization_id) IN ({targets})",
        insert=cte + "INSERT INTO person_reach (participant_id, kind, bucket, organization_id, first_starts_at) "
        f"SELECT :participant_id, b.kind, b.bucket, anc.id, {starts} "
        "FROM b JOIN anc ON anc.organizer_id = b.organizer_id WHERE true "
        "ON CONFLICT (participant_id, kind, bucket, organization_id) DO NOTHING "
        "RETURNING kind, bucket, organization_id")


# A check-in at event :event_id reaches its person in the event's EventReach rows, if it is published.
_STARTS = "(" + _PUBLISHED_EVENT.format("starts_at") + ")"


def _check_in_reach(rows: str = "") -> ReachSource:
    """The person is :participant_id, or the participant_id of `rows` (a CTE of the check-in just inserted)."""
    person, earlier_person = (f"{rows}.participant_id", f"(SELECT participant_id FROM {rows})") if rows else (
        ":participant_id", ":participant_id")
    return ReachSource(
        earlier=f"UPDATE person_reach SET first_starts_at = {_STARTS} WHERE participant_id = {earlier_person} "
        f"AND first_starts_at > {_STARTS} AND (kind, bucket, organization_id) IN "
        "(SELECT kind, bucket, organization_id FROM event_reach WHERE event_id = :event_id)",
        insert="INSERT INTO person_reach (participant_id, kind, bucket, organization_id, first_starts_at) "
        f"SELECT {person}, r.kind, r.bucket, r.organization_id, e.starts_at "
        f"FROM {rows + ' CROSS JOIN ' if rows else ''}event_reach r JOIN event e ON e.id = r.event_id "
        f"WHERE r.event_id = :event_id AND e.status = '{PUBLISHED}' "
        "ON CONFLICT (participant_id, kind, bucket, organization_id) DO NOTHING "
        "RETURNING kind, bucket, organization_id",
    )


CHECK_IN = _check_in_reach()
_CHECK_IN_AFTER_C = _check_in_reach("c")
_COUNT_ADDED = (
    "INSERT INTO reach_count (kind, bucket, organization_id, people) "
    "SELECT kind, bucket, organization_id, 1 FROM added ORDER BY kind, bucket, organization_id "
    "ON CONFLICT (kind, bucket, organization_id) DO UPDATE SET people = reach_count.people + excluded.people"
)

_count_sql: dict[int, str] = {}


def _count_bump_sql(n: int) -> str:
    found = _count_sql.get(n)
    if found is None:
        rows = ", ".join(f"(:k{i}, :b{i}, :o{i}, 1)" for i in range(n))
        found = _count_sql[n] = (
            f"INSERT INTO reach_count (kind, bucket, organization_id, people) VALUES {rows} "
            "ON CONFLICT (kind, bucket, organization_id) DO UPDATE SET people = reach_count.people + excluded.people")
    return found


def reach(conn: Connection, participant_id: int, source: ReachSource, params: dict[str, Any]) -> int:
    """Count the person for every bucket and unit `source` reaches (once each); return the rows added."""
    values = {"participant_id": participant_id, **params}
    run(conn, source.earlier, values)  # an earlier start than known moves first_starts_at back
    new = sorted(tuple(row) for row in run(conn, source.insert, values))
    if new:  # one row per bucket and unit, in key order (concurrent bumps lock rows in the same order)
        counts: dict[str, Any] = {}
        for i, (kind, bucket, org_id) in enumerate(new):
            counts.update({f"k{i}": kind, f"b{i}": bucket, f"o{i}": org_id})
        run(conn, _count_bump_sql(len(new)), counts)
    return len(new)


def count_person(conn: Connection, event_id: int, participant_id: int) -> None:
    """Count a person's (counted) check-in at an event toward its programs' people, if it is published."""
    reach(conn, participant_id, CHECK_IN, {"event_id": event_id})


# On PostgreSQL a new counted check-in and all of its counting are one statement (one round trip) of
# data-modifying CTEs: the caller's CTEs end in `c`, the check-in's INSERT … ON CONFLICT DO NOTHING RETURNING
# id, participant_id, and every count below reads from `c`, so a check-in lost to the unique rule counts
# nothing. The counts touch different rows (an earlier start only moves rows that exist, new rows are only
# those missing), so sharing one snapshot changes nothing in what they write; SQLite runs them one by one.
_COUNT_ONE = {"seq": 1, "delta": 1, **dict.fromkeys(_FIGURES, 0), "checkins": 1}  # + the method's column


def count_one(method: str) -> dict[str, int]:
    """pg_counted_after's parameters for one counted check-in of `method` (besides the check-in's own)."""
    values = dict(_COUNT_ONE)
    if method in METHOD_COLUMNS:
        values[METHOD_COLUMNS[method]] = 1
    return values


def pg_counted_after(check_in: str, then: str = "", answer: str = "") -> str:
    """The statement for `check_in` (CTEs ending in `c`) and its counts; it returns c's id, participant_id, the
    check-in's running number at the event and the event's SHOWN_FIGURES as this check-in leaves them (the row
    stays locked until the commit), or no row when nothing was inserted.

    `then`: more CTEs over `c` (writes that go with the check-in: its audit entry, a scan's record), and
    `answer`, more columns after those (e.g. what they returned).
    """
    figures = ", ".join(f"b.{name}" for name in ("seq", *SHOWN_FIGURES))
    return (
        f"WITH {check_in}, bump AS ({_BUMP_INTO}SELECT {_BUMP_VALUES} FROM c {_BUMP_CONFLICT} "
        f"RETURNING {', '.join(('seq', *SHOWN_FIGURES))}), "
        f"tally AS ({_tally_statement('postgresql', gate='EXISTS (SELECT 1 FROM c)')}), "
        f"earlier AS ({_CHECK_IN_AFTER_C.earlier}), added AS ({_CHECK_IN_AFTER_C.insert}), "
        f"counted AS ({_COUNT_ADDED}){', ' + then if then else ''} "
        f"SELECT c.id, c.participant_id, {figures}{', ' + answer if answer else ''} FROM c LEFT JOIN bump b ON true"
    )


def added(conn: Connection | Session, event: Any, participant_id: int, method: str, pending: bool) -> int:
    """Count a check-in just inserted; return its running number at the event (SQLite, and pending ones:
    PostgreSQL counts a counted one in its INSERT's statement, pg_counted_after)."""
    connection = connection_of(conn)
    if pending:  # a pending one counts once confirmed (progress/sync.py)
        return bump(connection, event.id, method, pending, 1, seq=1)
    seq = bump(connection, event.id, method, pending, 1, seq=1)
    tally(connection, event.id, 1)
    count_person(connection, event.id, participant_id)
    return seq
