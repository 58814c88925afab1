"""Reads about stations: scope, the public code, and the station page's figures (each one grouped query)."""
from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func, select

from eventsvc.checkin.models import Participant
from eventsvc.core.timeutil import to_local
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization, User
from eventsvc.stations.models import Station, StationSupply, StationVisit


def stations_in_scope(user: User) -> Select[Station]:
    """Select stations run within the user's scope."""
    stmt = select(Station).join(Station.organization)
    if user.scope_path:
        stmt = stmt.where(Organization.path.startswith(user.scope_path))
    return stmt


def station_by_code(code: str) -> Station | None:
    """Find a station by its public code (what the QR carries); typed codes may be upper case."""
    if not code or len(code) > 16:
        return None
    return db.session.scalar(select(Station).where(Station.code == code.lower()))


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """Return the first day of the month and the first day of the next."""
    first = date(year, month, 1)
    return first, first + timedelta(days=calendar.monthrange(year, month)[1])


def visits_today(station: Station, day: date) -> list[tuple[StationVisit, Participant]]:
    """Return the day's visits with their people, newest first."""
    stmt = (select(StationVisit, Participant).join(Participant, Participant.id == StationVisit.participant_id)
            .where(StationVisit.station_id == station.id, StationVisit.visit_date == day)
            .order_by(StationVisit.visited_at.desc(), StationVisit.id.desc()))
    return [(v, p) for v, p in db.session.execute(stmt)]


def count_on(station: Station, day: date) -> int:
    return db.session.scalar(select(func.count(StationVisit.id)).where(
        StationVisit.station_id == station.id, StationVisit.visit_date == day)) or 0


@dataclass
class MonthFigures:
    """A station's month: visits per day, distinct people, busiest hours, services used, bulk services."""

    year: int
    month: int
    daily: dict[date, int] = field(default_factory=dict)
    people: int = 0
    hours: dict[int, int] = field(default_factory=dict)  # China-time hour -> visits
    services: list[tuple[str, int]] = field(default_factory=list)
    supplies: list[tuple[str, str, int]] = field(default_factory=list)  # label, unit, total

    @property
    def total(self) -> int:
        return sum(self.daily.values())

    @property
    def weeks(self) -> list[list[date | None]]:
        """The month as calendar weeks (Monday first), None outside the month."""
        rows = calendar.Calendar(firstweekday=0).monthdatescalendar(self.year, self.month)
        return [[d if d.month == self.month else None for d in week] for week in rows]

    @property
    def busiest(self) -> list[tuple[int, int]]:
        """Hours by visits, busiest first (at most five)."""
        return sorted(self.hours.items(), key=lambda kv: (-kv[1], kv[0]))[:5]


def month_figures(station: Station, year: int, month: int) -> MonthFigures:
    """Collect the month's figures in a few grouped queries; hours and services from one narrow scan."""
    first, after = month_bounds(year, month)
    figures = MonthFigures(year, month)
    in_month = (StationVisit.station_id == station.id, StationVisit.visit_date >= first,
                StationVisit.visit_date < after)
    daily = select(StationVisit.visit_date, func.count(StationVisit.id)).where(*in_month).group_by(
        StationVisit.visit_date)
    figures.daily = {d: n for d, n in db.session.execute(daily)}
    figures.people = db.session.scalar(
        select(func.count(func.distinct(StationVisit.participant_id))).where(*in_month)) or 0
    hours: Counter[int] = Counter()
    services: Counter[str] = Counter()
    for at, used in db.session.execute(select(StationVisit.visited_at, StationVisit.services_used).where(*in_month)):
        local = to_local(at)
        if local is not None:
            hours[local.hour] += 1
        services.update(s for s in (used or "").split(",") if s)
    figures.hours = dict(hours)
    figures.services = services.most_common()
    supplies = (select(StationSupply.label, StationSupply.unit, func.sum(StationSupply.quantity))
                .where(StationSupply.station_id == station.id, StationSupply.supply_date >= first,
                       StationSupply.supply_date < after)
                .group_by(StationSupply.label, StationSupply.unit).order_by(StationSupply.label))
    figures.supplies = [(label, unit, int(total or 0)) for label, unit, total in db.session.execute(supplies)]
    return figures


def monthly_counts(station: Station, year: int) -> dict[int, tuple[int, int]]:
    """Return {month: (人次, 人)} for a year, in one grouped query per figure."""
    first, after = date(year, 1, 1), date(year + 1, 1, 1)
    month = func.extract("month", StationVisit.visit_date)
    stmt = (select(month, func.count(StationVisit.id), func.count(func.distinct(StationVisit.participant_id)))
            .where(StationVisit.station_id == station.id, StationVisit.visit_date >= first,
                   StationVisit.visit_date < after).group_by(month))
    return {int(m): (n, p) for m, n, p in db.session.execute(stmt)}


def month_rows(station: Station, year: int, month: int) -> list[tuple[Any, ...]]:
    """Return the month's visits for the spreadsheet: date, time, name, phone, workplace, group, services, method."""
    first, after = month_bounds(year, month)
    stmt = (select(StationVisit.visit_date, StationVisit.visited_at, StationVisit.name_given, Participant.name,
                   Participant.phone, Participant.workplace, Participant.group, StationVisit.services_used,
                   StationVisit.method)
            .join(Participant, Participant.id == StationVisit.participant_id)
            .where(StationVisit.station_id == station.id, StationVisit.visit_date >= first,
                   StationVisit.visit_date < after)
            .order_by(StationVisit.visited_at, StationVisit.id))
    return [tuple(row) for row in db.session.execute(stmt)]


def recent_supplies(station: Station, limit: int = 10) -> list[StationSupply]:
    return list(db.session.scalars(select(StationSupply).where(StationSupply.station_id == station.id)
                                   .order_by(StationSupply.supply_date.desc(), StationSupply.id.desc()).limit(limit)))


def stations_of_program(program_id: int, user: User) -> list[Station]:
    """Stations in the user's scope whose visits (of some year) count toward the program."""
    from eventsvc.stations.models import StationProgram

    stmt = (stations_in_scope(user).join(StationProgram, StationProgram.station_id == Station.id)
            .where(StationProgram.program_id == program_id).order_by(Station.name))
    return list(db.session.scalars(stmt).unique())
