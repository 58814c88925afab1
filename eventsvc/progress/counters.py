"""Prove the maintained counts (checkin/counters.py) against the raw rows, and rebuild them.

The union audits these figures: `flask counts verify` recomputes every event's counts and every
program's people from the check-ins and names each difference; `flask counts rebuild` rewrites both
tables from the raw rows (after an upgrade, a restore, or a difference verify found).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import click
from flask import Flask
from sqlalchemy import Table, case, delete, func, select

from eventsvc.checkin.counters import METHOD_COLUMNS, EventCount, ProgramParticipant, counted_people
from eventsvc.checkin.models import CHECKIN_PENDING, CheckIn
from eventsvc.extensions import db

FIGURES = ("checkins", "pending", *METHOD_COLUMNS.values())


@dataclass
class Differences:
    """What verify found: one line per wrong figure or person row."""

    lines: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.lines)


def raw_event_counts() -> dict[int, dict[str, int]]:
    """Recompute each event's figures (and its row total, for seq) from the check-ins."""
    counted = (CheckIn.status != CHECKIN_PENDING) & CheckIn.voided_at.is_(None)  # 作废 rows stay, uncounted
    columns: list[Any] = [
        func.count(CheckIn.id),
        func.sum(case((counted, 1), else_=0)),
        func.sum(case((CheckIn.status == CHECKIN_PENDING, 1), else_=0)),
        *[func.sum(case((counted & (CheckIn.method == method), 1), else_=0)) for method in METHOD_COLUMNS],
    ]
    result = {}
    for event_id, total, *figures in db.session.execute(select(CheckIn.event_id, *columns).group_by(CheckIn.event_id)):
        result[event_id] = {"total": int(total), **{k: int(v or 0) for k, v in zip(FIGURES, figures, strict=True)}}
    return result


def stored_event_counts() -> dict[int, dict[str, int]]:
    rows = db.session.scalars(select(EventCount))
    return {r.event_id: {"seq": r.seq, **{k: getattr(r, k) for k in FIGURES}} for r in rows}


def verify() -> Differences:
    """Compare both tables with the raw rows; an empty result means every figure is right."""
    found = Differences()
    raw, stored = raw_event_counts(), stored_event_counts()
    zero = dict.fromkeys(FIGURES, 0)
    for event_id in sorted(raw.keys() | stored.keys()):
        want, have = raw.get(event_id, {**zero, "total": 0}), stored.get(event_id, {**zero, "seq": 0})
        for name in FIGURES:
            if want[name] != have[name]:
                found.lines.append(f"活动 {event_id} {name}: 记录 {have[name]}，实际 {want[name]}")
        if have["seq"] < want["total"]:
            found.lines.append(f"活动 {event_id} seq: 记录 {have['seq']}，小于签到行数 {want['total']}")
    pp = ProgramParticipant
    want_people = {tuple(r) for r in db.session.execute(counted_people())}
    have_people = {tuple(r) for r in db.session.execute(
        select(pp.program_id, pp.organization_id, pp.participant_id, pp.first_starts_at))}
    for program_id, org_id, person_id, starts in sorted(want_people - have_people, key=str):
        found.lines.append(f"项目 {program_id} 单位 {org_id} 缺少参与者 {person_id}（最早 {starts}）")
    for program_id, org_id, person_id, starts in sorted(have_people - want_people, key=str):
        found.lines.append(f"项目 {program_id} 单位 {org_id} 多出参与者 {person_id}（最早 {starts}）")
    return found


def rebuild() -> tuple[int, int]:
    """Rewrite both tables from the raw rows, keeping each event's seq from going back. Return row counts."""
    old_seq = {event_id: seq for event_id, seq in db.session.execute(select(EventCount.event_id, EventCount.seq))}
    raw = raw_event_counts()
    db.session.execute(delete(EventCount))
    rows = [{"event_id": event_id, "seq": max(old_seq.get(event_id, 0), figures.pop("total")), **figures}
            for event_id, figures in raw.items()]
    for start in range(0, len(rows), 5000):
        db.session.execute(cast(Table, EventCount.__table__).insert(), rows[start:start + 5000])
    db.session.execute(delete(ProgramParticipant))
    table = cast(Table, ProgramParticipant.__table__)
    db.session.execute(table.insert().from_select(
        ["program_id", "organization_id", "participant_id", "first_starts_at"], counted_people()))
    people = db.session.scalar(select(func.count()).select_from(table)) or 0
    return len(rows), people


def register(app: Flask) -> None:
    """Attach `flask counts verify|rebuild`."""

    @app.cli.group("counts")
    def counts_cli() -> None:
        """Maintained counts (人次 per event, 人 per program): verify against the raw rows, rebuild."""

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
        click.echo(f"已重建：{events} 场活动的计数，{people} 条项目参与者记录")
