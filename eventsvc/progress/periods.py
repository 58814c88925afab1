"""Counting rules by event and by time: per-event figures for ledgers, periods and month-by-month series.

The same rules as progress/queries.py (published, started, 待核实 excluded); these group by event or
by month instead of by program. Month boundaries are China months, turned into UTC instants here, so
the database never has to know a time zone.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from eventsvc.checkin.counters import MONTH
from eventsvc.checkin.models import CheckIn
from eventsvc.checkin.queries import counted_check_in
from eventsvc.core.timeutil import from_local, utcnow
from eventsvc.events.models import Event, EventQuantity
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization
from eventsvc.progress.people import people_in_period
from eventsvc.progress.tally import Sums, tally_sums
from eventsvc.progress.totals import Totals


def month_start(year: int, month: int) -> datetime:
    """Return the first instant of a China month as naive UTC (month 13 is next January)."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return from_local(datetime.combine(date(year, month, 1), time()))


@dataclass
class Period:
    """A run of whole China months, first..last inclusive (both first days of their month)."""

    first: date
    last: date

    @property
    def since(self) -> datetime:
        return month_start(self.first.year, self.first.month)

    @property
    def until(self) -> datetime:
        """The first instant after the period (exclusive end)."""
        return month_start(self.last.year, self.last.month + 1)

    @property
    def months(self) -> tuple[date, date]:
        return (self.first, self.last)

    def year_earlier(self) -> Period:
        """The same months a year before (同比); 29 February never occurs: periods are whole months."""
        return Period(self.first.replace(year=self.first.year - 1), self.last.replace(year=self.last.year - 1))

    def year_to_date(self) -> Period:
        """From January of the last month's year to the period's end (年度累计)."""
        return Period(date(self.last.year, 1, 1), self.last)

    @property
    def label(self) -> str:
        a, b = self.first, self.last
        if a == b:
            return f"{a.year} 年 {a.month} 月"
        if a.year == b.year and a.month % 3 == 1 and b.month == a.month + 2:
            return f"{a.year} 年第 {(a.month + 2) // 3} 季度（{a.month}—{b.month} 月）"
        return f"{a.year} 年 {a.month} 月 — {b.year} 年 {b.month} 月"

    def counting_end(self, now: datetime | None = None) -> datetime:
        """The `now` to count with (counted events start at or before it): the period's end, or the
        present while the period is still running."""
        return min(self.until - timedelta(microseconds=1), now or utcnow())


def event_figures(event_ids: Sequence[int]) -> dict[int, Totals]:
    """Return each event's own figures (three grouped queries), whatever its status.

    checkins/participants count counted check-ins only (a 待核实 one waits for review), onsite/online
    the reported headcounts, quantities the recorded amounts by label. sessions is 1 per event.
    """
    result: dict[int, Totals] = {eid: Totals(sessions=1) for eid in event_ids}
    if not event_ids:
        return result
    for eid, onsite, online in db.session.execute(
        select(Event.id, Event.onsite_count, Event.online_count).where(Event.id.in_(event_ids))
    ):
        result[eid].add_attendance(onsite=onsite or 0, online=online or 0)
    for eid, n, people in db.session.execute(
        select(CheckIn.event_id, func.count(CheckIn.id), func.count(func.distinct(CheckIn.participant_id)))
        .where(CheckIn.event_id.in_(event_ids), counted_check_in()).group_by(CheckIn.event_id)
    ):
        result[eid].add_attendance(checkins=n)
        result[eid].participants = people
    for eid, label, total in db.session.execute(
        select(EventQuantity.event_id, EventQuantity.label, func.sum(EventQuantity.value))
        .where(EventQuantity.event_id.in_(event_ids)).group_by(EventQuantity.event_id, EventQuantity.label)
    ):
        result[eid].quantities[label] = total or 0
    return result


def quantity_units(event_ids: Sequence[int]) -> dict[str, str]:
    """Return the unit recorded for each quantity label among the events (份/个/万元)."""
    if not event_ids:
        return {}
    rows = db.session.execute(
        select(EventQuantity.label, func.max(EventQuantity.unit)).where(EventQuantity.event_id.in_(event_ids))
        .group_by(EventQuantity.label)
    )
    return {label: unit or "" for label, unit in rows}


@dataclass
class MonthlySeries:
    """Cumulative 场次 and 人次 at the end of each month of a year (None for months not begun)."""

    year: int
    sessions: list[int | None]
    attendances: list[int | None]


def cumulative_by_month(year: int, *, scope_path: str = "", now: datetime | None = None) -> MonthlySeries:
    """Return the year's running totals month by month, each event once, within `scope_path`."""
    return cumulative_by_months([year], scope_path=scope_path, now=now)[0]


def cumulative_by_months(years: Sequence[int], *, scope_path: str = "", now: datetime | None = None
                         ) -> list[MonthlySeries]:
    """Return each year's running totals month by month (see cumulative_by_month), in one statement.

    Read from the month tallies (progress/tally.py: published events per organizer and China-time month,
    less those not started by `now`): a few hundred rows, never the years' events.
    """
    now = now or utcnow()
    units = None
    if scope_path:
        units = list(db.session.scalars(select(Organization.id).where(Organization.path.startswith(scope_path))))
    per_month: dict[int, Sums] = defaultdict(Sums)
    months = [year * 100 + m for year in years for m in range(1, 13)]
    for (month,), sums in tally_sums(MONTH, months, now, by=("bucket",), units=units).items():
        per_month[month].add(sums)
    result = []
    for year in years:
        sessions: list[int | None] = []
        attendances: list[int | None] = []
        running = Sums()
        for m in range(1, 13):
            running.add(per_month[year * 100 + m])
            begun = month_start(year, m) <= now
            sessions.append(running.sessions if begun else None)
            attendances.append(running.onsite + running.online + running.checkins if begun else None)
        result.append(MonthlySeries(year, sessions, attendances))
    return result


def people_by_subtree(org_ids: Sequence[int], program_ids: Sequence[int], *, since: datetime, now: datetime,
                      by_program: bool) -> dict[Any, int]:
    """Distinct named people at counted events that started within [since, now] or at the programs' stations
    in that span, per org subtree (and program): see progress/people.py. Keys as in totals_by_subtree."""
    if not program_ids:
        return {}
    return people_in_period(org_ids, program_ids, since=since, now=now, by_program=by_program)
