"""月报 / 季报: a unit's figures for a run of months, the year so far, targets, and the same months last year.

Every figure is read from progress/ (totals_by_subtree with a period); nothing is counted here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.orm import selectinload

from eventsvc.core.timeutil import to_local, utcnow
from eventsvc.extensions import db
from eventsvc.orgs.models import DEPARTMENT, DISTRICT, Organization, User
from eventsvc.orgs.queries import children_of
from eventsvc.programs.models import Program, Target
from eventsvc.programs.queries import programs_visible_to
from eventsvc.progress.periods import Period
from eventsvc.progress.queries import Totals, measure, totals_by_subtree
from eventsvc.progress.timeline import time_percent
from eventsvc.reports.queries import _plan_sort_key as plan_sort_key  # the year overview's order

MAX_MONTHS = 36
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


class PeriodError(ValueError):
    """A period parameter the user must correct (the message is shown as is)."""


def parse_month(raw: str, what: str) -> date:
    """Parse YYYY-MM into the month's first day, or raise PeriodError in Chinese."""
    m = _MONTH.match((raw or "").strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or not 2000 <= int(m.group(1)) <= 2100:
        raise PeriodError(f"{what}格式应为“年-月”，例如 2026-03")
    return date(int(m.group(1)), int(m.group(2)), 1)


def parse_period(raw_from: str | None, raw_to: str | None) -> Period:
    """Return the period from ?from=YYYY-MM&to=YYYY-MM; both default to this month, `to` to `from`."""
    today = (to_local(utcnow()) or utcnow()).date().replace(day=1)
    first = parse_month(raw_from, "起始月份") if raw_from else today
    last = parse_month(raw_to, "截止月份") if raw_to else (first if raw_from else today)
    if last < first:
        raise PeriodError("截止月份不能早于起始月份")
    if (last.year - first.year) * 12 + last.month - first.month + 1 > MAX_MONTHS:
        raise PeriodError(f"统计期间最长 {MAX_MONTHS} 个月")
    return Period(first, last)


def quarter(year: int, q: int) -> Period:
    """Return the months of a quarter (1..4)."""
    return Period(date(year, 3 * q - 2, 1), date(year, 3 * q, 1))


@dataclass
class TargetRow:
    """One target against the year's cumulative figure."""

    metric: str
    unit: str
    goal: int | float
    done: int | float
    percent: float


@dataclass
class PeriodProgram:
    """A program's line of the report."""

    name: str
    plan_item: str
    period: Totals
    cumulative: Totals
    last_year: Totals | None  # None: no program of that name last year
    targets: list[TargetRow] = field(default_factory=list)
    time_percent: float = 0.0

    @property
    def yoy_attendances(self) -> float | None:
        """同比 of 人次 in percent (one decimal); None when last year had none to compare with."""
        if self.last_year is None or not self.last_year.attendances:
            return None
        base = self.last_year.attendances
        return round(100.0 * (self.period.attendances - base) / base, 1)


@dataclass
class ChildRow:
    """One child unit's figures for the period and the same months last year."""

    name: str
    period: Totals
    last_year: Totals


@dataclass
class PeriodReport:
    """Everything the period page, PDF and spreadsheet show."""

    org: Organization
    period: Period
    compiler: str  # 编制单位: the downloading user's unit
    programs: list[PeriodProgram] = field(default_factory=list)
    children: list[ChildRow] = field(default_factory=list)
    total: Totals = field(default_factory=Totals)
    total_last_year: Totals = field(default_factory=Totals)


def _targets_for(program: Program, org: Organization) -> list[Target]:
    """The district sees a program's overall targets; another unit its own shares."""
    if org.parent_id is None:
        return list(program.overall_targets)
    return [t for t in program.share_targets if t.organization_id == org.id]


def _programs(user: User, org: Organization, year: int) -> list[Program]:
    """The year's programs the unit takes part in: the district's own and its subtree's, in plan order."""
    stmt = programs_visible_to(user, year).options(selectinload(Program.targets).selectinload(Target.organization))
    programs = [p for p in db.session.scalars(stmt).unique()
                if p.organization.kind in (DISTRICT, DEPARTMENT) or p.organization.path.startswith(org.path)]
    return sorted(programs, key=lambda p: (plan_sort_key(p.plan_item), p.id))


def period_report(user: User, org: Organization, period: Period) -> PeriodReport:
    """Collect the report of `org`'s subtree for `period` (a fixed number of grouped queries)."""
    now = utcnow()
    year = period.last.year
    programs = _programs(user, org, year)
    ids = [p.id for p in programs]
    before = period.year_earlier()
    previous = {p.name: p for p in _programs(user, org, year - 1)}
    old_ids = [previous[p.name].id for p in programs if p.name in previous]

    def figures(span: Period, program_ids: list[int], org_ids: list[int], by_program: bool = True) -> dict:
        end = span.counting_end(now)
        # With `since`, 人 counts the people met within the period, not since each person's first event.
        return totals_by_subtree(org_ids, program_ids=program_ids, by_program=by_program, since=span.since,
                                 now=end, months=span.months)

    this = figures(period, ids, [org.id])
    ytd = figures(period.year_to_date(), ids, [org.id])
    last = figures(before, old_ids, [org.id]) if old_ids else {}
    next_month = period.last.replace(day=28) + timedelta(days=4)
    end_day = min(next_month - timedelta(days=next_month.day), (to_local(now) or now).date())  # 时间进度 at period end
    report = PeriodReport(org=org, period=period, compiler=user.organization.name)
    for p in programs:
        cumulative = ytd.get((org.id, p.id), Totals())
        old = previous.get(p.name)
        rows = []
        for t in _targets_for(p, org):
            m = measure(t, cumulative)
            rows.append(TargetRow(t.metric_label, t.unit_label, m.goal, m.done, m.percent))
        report.programs.append(PeriodProgram(
            p.name, p.plan_item, this.get((org.id, p.id), Totals()), cumulative,
            last.get((org.id, old.id), Totals()) if old is not None else None, rows, time_percent(p, end_day)))
    kids = children_of(org)
    kid_ids = [k.id for k in kids]
    both = [org.id, *kid_ids]
    now_all = figures(period, ids, both, by_program=False) if ids else {}
    then_all = figures(before, old_ids, both, by_program=False) if old_ids else {}
    report.total = now_all.get(org.id, Totals())
    report.total_last_year = then_all.get(org.id, Totals())
    report.children = [ChildRow(k.name, now_all.get(k.id, Totals()), then_all.get(k.id, Totals())) for k in kids]
    return report


def reported_text(totals: Totals) -> str:
    """Quantities handed out and approved reported figures of a period, as one short text."""
    parts = [f"{label} {_fmt(v)}" for label, v in sorted(totals.quantities.items()) if v]
    parts += [f"{label} {_fmt(v)}（填报）" for label, v in sorted(totals.reported.items()) if v]
    return "；".join(parts)


def _fmt(v: int | float) -> str:
    return f"{int(v):,}" if float(v).is_integer() else f"{v:,.2f}"


def yoy_text(now: int, before: int) -> str:
    """Return "+12.5%" / "-3.0%", or "—" when last year had nothing to compare with."""
    if not before:
        return "—"
    return f"{100.0 * (now - before) / before:+.1f}%"
