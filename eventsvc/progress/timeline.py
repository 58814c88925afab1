"""Time against work (issue 10 §5): how much of a program's period has passed, beside how much is done."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from eventsvc.core.timeutil import to_local, utcnow
from eventsvc.programs.models import Program
from eventsvc.progress.totals import TargetProgress


def today_local() -> date:
    """Return today's date in China time."""
    now = to_local(utcnow()) or utcnow()
    return now.date()


def time_percent(program: Program, today: date | None = None) -> float:
    """Return the share of the program's period elapsed, in percent to one decimal (whole year by default)."""
    today = today or today_local()
    start = program.starts_on or date(program.year, 1, 1)
    end = program.ends_on or date(program.year, 12, 31)
    days = (end - start).days + 1
    if days <= 0 or today < start:
        return 0.0
    if today > end:
        return 100.0
    return round(100.0 * ((today - start).days + 1) / days, 1)


@dataclass
class Schedule:
    """A program's elapsed time and completion; targets below the time line are behind schedule."""

    time: float
    done: float
    behind: frozenset[int]  # ids of targets behind schedule

    @property
    def is_behind(self) -> bool:
        return bool(self.behind)


def schedule(program: Program, rows: Sequence[TargetProgress], today: date | None = None) -> Schedule:
    """Compare completion with elapsed time: completion is the mean of the targets' capped percents."""
    elapsed = time_percent(program, today)
    done = round(sum(r.bar_percent for r in rows) / len(rows), 1) if rows else 0.0
    behind = frozenset(r.target.id for r in rows if not r.is_met and r.percent < elapsed)
    return Schedule(elapsed, done, behind)
