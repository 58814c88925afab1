"""Prove the maintained counts (checkin/counters.py) against the raw rows, and rebuild them.

The union audits these figures: `flask counts verify` recomputes every event's counts, every program's and
year's people per unit (progress/raw.py), what a check-in at each event reaches and the sums of events
per organizer (progress/tally.py), and names each difference;
`flask counts rebuild` rewrites the tables from the raw rows (after an upgrade, a restore, or a
difference verify found). Row sets are compared inside the database (EXCEPT both ways), so a year of
millions of rows never has to fit in memory.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import click
from flask import Flask
from sqlalchemy import CompoundSelect, Select, Table, delete, except_, func, select, text

from eventsvc.checkin.counters import REGISTRATION_COLUMNS, EventCount, EventReach, EventTally, PersonReach, ReachCount
from eventsvc.extensions import db
from eventsvc.progress import (
    sync,  # noqa: F401  (the flush hooks that keep the counts)
    tally,
)
from eventsvc.progress.raw import (
    EVENT_REACH_COLUMNS,
    FIGURES,
    REACH_COLUMNS,
    event_reach,
    raw_event_counts,
    raw_registration_counts,
    reached,
)

SHOWN = 50  # differences named per kind; the total is always given


@dataclass
class Differences:
    """What verify found: one line per wrong figure or person row."""

    lines: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.lines)


_ALL_FIGURES = (*FIGURES, *REGISTRATION_COLUMNS.values())  # event_count's columns but seq


def _raw_event_rows() -> dict[int, dict[str, int]]:
    """What each event's event_count row should hold, from the check-ins and the registrations (with "total",
    the check-in rows kept, which seq may not be below)."""
    raw, registrations = raw_event_counts(), raw_registration_counts()
    zero = {"total": 0, **dict.fromkeys(_ALL_FIGURES, 0)}
    return {event_id: {**zero, **raw.get(event_id, {}), **registrations.get(event_id, {})}
            for event_id in sorted(raw.keys() | registrations.keys())}


def stored_event_counts() -> dict[int, dict[str, int]]:
    rows = db.session.scalars(select(EventCount))
    return {r.event_id: {"seq": r.seq, **{k: getattr(r, k) for k in _ALL_FIGURES}} for r in rows}


def _event_differences(found: Differences) -> None:
    raw, stored = _raw_event_rows(), stored_event_counts()
    zero = dict.fromkeys(_ALL_FIGURES, 0)
    for event_id in sorted(raw.keys() | stored.keys()):
        want, have = raw.get(event_id, {**zero, "total": 0}), stored.get(event_id, {**zero, "seq": 0})
        for name in _ALL_FIGURES:
            if want[name] != have[name]:
                found.lines.append(f"活动 {event_id} {name}: 记录 {have[name]}，实际 {want[name]}")
        if have["seq"] < want["total"]:
            found.lines.append(f"活动 {event_id} seq: 记录 {have['seq']}，小于签到行数 {want['total']}")


def _row_differences(found: Differences, want: Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]],
                     have: Select[*tuple[Any, ...]], missing: str, extra: str) -> None:
    """Name the rows `want` has and `have` lacks, and the other way round (the first SHOWN of each)."""
    want, have = select(*want.subquery().c), select(*have.subquery().c)  # plain SELECTs around compounds
    for query, template in ((except_(want, have), missing), (except_(have, want), extra)):
        total = 0
        for total, row in enumerate(db.session.execute(query), start=1):  # normally none: read them as they come
            if total <= SHOWN:
                found.lines.append(template.format(*row))
        if total > SHOWN:
            found.lines.append(f"……另有 {total - SHOWN} 条同类不一致")


def _count_differences(found: Differences) -> None:
    r, c = PersonReach, ReachCount
    want = {tuple(k): n for *k, n in db.session.execute(
        select(r.kind, r.bucket, r.organization_id, func.count()).group_by(r.kind, r.bucket, r.organization_id))}
    have = {tuple(k): n for *k, n in db.session.execute(select(c.kind, c.bucket, c.organization_id, c.people))}
    for key in sorted(want.keys() | have.keys(), key=str):
        if want.get(key, 0) != have.get(key, 0):
            kind, bucket, org_id = key
            found.lines.append(f"{'项目' if kind == 'p' else '年度'} {bucket} 单位 {org_id} 人数: "
                               f"记录 {have.get(key, 0)}，实际 {want.get(key, 0)}")


def _tally_differences(found: Differences) -> None:
    t = EventTally
    want = tally.contributions(db.session, tally.published_events(raw=True))
    have = {(o, k, b, lv, bool(p)): tally.Sums(*v) for o, k, b, lv, p, *v in db.session.execute(
        select(t.organization_id, t.kind, t.bucket, t.level, t.is_primary, *(getattr(t, f) for f in tally.FIELDS)))}
    wrong = [key for key in sorted(want.keys() | have.keys(), key=str)
             if want.get(key, tally.Sums()) != have.get(key, tally.Sums())]
    for key in wrong[:SHOWN]:
        found.lines.append(f"单位 {key[0]} 汇总 {key[1]}/{key[2]}/{key[3] or '-'}{'' if key[4] else '（附加项目）'}: "
                           f"记录 {have.get(key, tally.Sums())}，实际 {want.get(key, tally.Sums())}")
    if len(wrong) > SHOWN:
        found.lines.append(f"……另有 {len(wrong) - SHOWN} 条同类不一致")


def verify() -> Differences:
    """Compare every maintained table with the raw rows; an empty result means every figure is right."""
    found = Differences()
    _event_differences(found)
    r = PersonReach
    _row_differences(found, reached(),
                     select(r.participant_id, r.kind, r.bucket, r.organization_id, r.first_starts_at),
                     "参与者 {0} 缺少 {1}/{2} 单位 {3} 的人数记录（最早 {4}）",
                     "参与者 {0} 多出 {1}/{2} 单位 {3} 的人数记录（最早 {4}）")
    _count_differences(found)
    _row_differences(found, event_reach(), select(*(EventReach.__table__.c[name] for name in EVENT_REACH_COLUMNS)),
                     "活动 {0} 缺少 {1}/{2} 单位 {3} 的签到去向", "活动 {0} 多出 {1}/{2} 单位 {3} 的签到去向")
    _tally_differences(found)
    return found


def _refill(model: Any, columns: list[str], rows: Any) -> None:
    """Empty a table and insert `rows`, its secondary indexes dropped meanwhile (and made again after): filling
    millions of rows into an index in random order is several times slower than building it once."""
    table = cast(Table, model.__table__)
    conn = db.session.connection()
    for index in table.indexes:
        index.drop(conn)
    conn.execute(delete(table))
    conn.execute(table.insert().from_select(columns, rows))
    for index in table.indexes:
        index.create(conn)


def rebuild() -> tuple[int, int]:
    """Rewrite every table from the raw rows, keeping each event's seq from going back. Return how many events
    have counts and how many people are counted toward some program."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if postgres:  # big sorts and index builds: in memory, this once
        db.session.execute(text("SET LOCAL work_mem = '256MB'"))
        db.session.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    old_seq = {event_id: seq for event_id, seq in db.session.execute(select(EventCount.event_id, EventCount.seq))}
    raw = _raw_event_rows()
    db.session.execute(delete(EventCount))
    rows = [{"event_id": event_id, "seq": max(old_seq.get(event_id, 0), figures.pop("total")), **figures}
            for event_id, figures in raw.items()]
    for start in range(0, len(rows), 5000):
        db.session.execute(cast(Table, EventCount.__table__).insert(), rows[start:start + 5000])
    _refill(EventReach, EVENT_REACH_COLUMNS, event_reach())
    db.session.execute(delete(ReachCount))
    reach = reached()
    if postgres:  # its B-tree fills much faster in key order
        reach = reach.order_by(*REACH_COLUMNS[:4])
    _refill(PersonReach, REACH_COLUMNS, reach)
    r = PersonReach
    db.session.execute(cast(Table, ReachCount.__table__).insert().from_select(
        ["kind", "bucket", "organization_id", "people"],
        select(r.kind, r.bucket, r.organization_id, func.count()).group_by(r.kind, r.bucket, r.organization_id)))
    db.session.execute(delete(EventTally))
    tally.write(db.session, sorted(tally.contributions(db.session, tally.published_events(raw=True)).items()))
    people = db.session.scalar(select(func.count(func.distinct(r.participant_id)))) or 0
    return len(rows), people


def register(app: Flask) -> None:
    """Attach `flask counts verify|rebuild`."""

    @app.cli.group("counts")
    def counts_cli() -> None:
        """Maintained counts (人次 per event, 人 per program and unit): verify against the raw rows, rebuild."""

    @counts_cli.command("verify")
    def verify_command() -> None:
        """Recompute every count from the check-ins; print each difference and exit 1 if any."""
        found = verify()
        for line in found.lines:
            click.echo(line)
        if found:
            raise click.ClickException(f"发现 {len(found.lines)} 处不一致，可运行 flask counts rebuild 重建")
        click.echo("计数与签到记录一致")

    @counts_cli.command("rebuild")
    def rebuild_command() -> None:
        """Rewrite the counts from the check-ins (one transaction)."""
        events, people = rebuild()
        db.session.commit()
        click.echo(f"已重建：{events} 场活动的计数，{people} 位参与者的人数记录")
