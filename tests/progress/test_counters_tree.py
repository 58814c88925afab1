"""Maintained people, event fan-out and tallies follow stations, programs' years and moves in the tree.

Random check-ins, undos, station visits, stations switching programs, events published, re-levelled,
re-timed, given headcounts, a program moving to another year and a community moving to another street:
`counts verify` finds nothing, and the pages' figures equal what the raw rows say.
"""
from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, select, union

from eventsvc.checkin.models import CHECKIN_PENDING, MANUAL, SELF_SCAN, CheckIn
from eventsvc.checkin.operations import check_in, undo_check_in, upsert_participant
from eventsvc.core.timeutil import local_year, utcnow
from eventsvc.events.models import PUBLISHED, Event, event_program
from eventsvc.events.operations import cancel_event, publish_event, set_additional_programs, update_event
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization
from eventsvc.orgs.operations import move_organization
from eventsvc.programs.models import Program
from eventsvc.programs.operations import update_program
from eventsvc.progress.counters import rebuild, verify
from eventsvc.progress.periods import cumulative_by_month, month_start
from eventsvc.progress.queries import totals_by_program, totals_by_subtree
from eventsvc.stations import operations as station_operations
from eventsvc.stations.models import Station, StationProgram, StationVisit
from eventsvc.stations.operations import create_station, record_visit, set_station_program


def _events(program_id: int | None, *, year: int | None = None, primary_only: bool = False) -> Any:
    """Ids of counted events (published, started) of a program (or of a year's programs)."""
    now = utcnow()
    counted = and_(Event.status == PUBLISHED, Event.starts_at <= now)
    if year is not None:
        programs = select(Program.id).where(Program.year == year)
        primary = select(Event.id).where(counted, Event.program_id.in_(programs))
        if primary_only:
            return primary
        return union(primary, select(event_program.c.event_id).join(Event, Event.id == event_program.c.event_id)
                     .where(counted, event_program.c.program_id.in_(programs)))
    return union(select(Event.id).where(counted, Event.program_id == program_id),
                 select(event_program.c.event_id).join(Event, Event.id == event_program.c.event_id)
                 .where(counted, event_program.c.program_id == program_id))


def _below(org: Organization) -> Any:
    return select(Organization.id).where(Organization.path.startswith(org.path))


def _raw(org: Organization, program_id: int | None = None, year: int | None = None) -> tuple[int, int, int]:
    """(场次, 扫码人次, 人) of a program (or a year across programs) in `org`'s subtree, from the raw rows."""
    events = select(Event.id).where(Event.id.in_(_events(program_id, year=year, primary_only=year is not None)),
                                    Event.organization_id.in_(_below(org)))
    sessions = db.session.scalar(select(func.count()).select_from(events.subquery())) or 0
    checkins = db.session.scalar(select(func.count(CheckIn.id)).where(
        CheckIn.event_id.in_(events), CheckIn.status != CHECKIN_PENDING, CheckIn.voided_at.is_(None))) or 0
    people_events = select(Event.id).where(Event.id.in_(_events(program_id, year=year)),
                                           Event.organization_id.in_(_below(org)))
    programs = select(Program.id).where(Program.year == year) if year is not None else select(Program.id).where(
        Program.id == program_id)
    year_of_visit = func.extract("year", StationVisit.visit_date)
    visitors = (select(StationVisit.participant_id).join(Station, Station.id == StationVisit.station_id)
                .join(StationProgram, and_(StationProgram.station_id == Station.id,
                                           StationProgram.year == year_of_visit))
                .where(StationProgram.program_id.in_(programs), Station.organization_id.in_(_below(org)),
                       StationVisit.visited_at <= utcnow()))
    attendees = select(CheckIn.participant_id).where(CheckIn.event_id.in_(people_events),
                                                    CheckIn.status != CHECKIN_PENDING, CheckIn.voided_at.is_(None))
    people = db.session.scalar(select(func.count()).select_from(union(attendees, visitors).subquery())) or 0
    return sessions, checkins, people


def _random_changes(rng: random.Random, tree: dict[str, Any], events: list[Event], stations: list[Station],
                    programs: list[Program], people: list[Any]) -> None:
    for step in range(300):
        roll, event = rng.random(), rng.choice(events)
        if roll < 0.4 and event.status != "cancelled":
            method = rng.choice([SELF_SCAN, MANUAL])
            check_in(event, rng.choice(people), by=None if method == SELF_SCAN else tree["admin"], method=method,
                     enforce_window=False)
        elif roll < 0.5:
            record = db.session.scalar(select(CheckIn).where(CheckIn.event_id == event.id).limit(1))
            if record is not None:
                undo_check_in(record, by=tree["admin"], reason="测试")
        elif roll < 0.65:
            record_visit(rng.choice(stations), rng.choice(people), by=None,
                         at=utcnow() - timedelta(days=rng.randrange(0, 40)))
        elif roll < 0.7:
            set_station_program(rng.choice(stations), local_year(), rng.choice([*programs, None]), by=None)
        elif roll < 0.75 and event.status == "draft":
            publish_event(event, by=None)
        elif roll < 0.85 and event.status != "cancelled":
            shift = timedelta(days=rng.choice([-40, -1, 1, 3]))
            update_event(event, by=None, level=rng.choice(["区级", "街道级"]), onsite_count=rng.randrange(0, 50),
                         starts_at=event.starts_at + shift, ends_at=event.ends_at + shift)
        elif roll < 0.9:
            set_additional_programs(event, [] if event.additional_programs else [programs[1]], by=None)
        elif roll < 0.92 and event.status != "cancelled":
            cancel_event(event, by=None)
        if step % 5 == 0:
            db.session.commit()
        else:
            db.session.flush()
    db.session.commit()


def _check_figures(tree: dict[str, Any], programs: list[Program]) -> None:
    orgs = [tree["root"], tree["a"], tree["b"], tree["a_child"]]
    ids = [o.id for o in orgs]
    overall = totals_by_program([p.id for p in programs])
    for p in programs:
        got = overall[p.id]
        assert (got.sessions, got.checkins, got.participants) == _raw(tree["root"], p.id), p.id
        by_org = totals_by_subtree(ids, program_ids=[p.id])
        by_program = totals_by_subtree(ids, program_ids=[p.id for p in programs], by_program=True)
        for org in orgs:
            want = _raw(org, p.id)
            for totals in (by_org.get(org.id), by_program.get((org.id, p.id))):
                figures = (totals.sessions, totals.checkins, totals.participants) if totals else (0, 0, 0)
                assert figures == want, (p.id, org.id)
    for year in {p.year for p in programs}:
        rollup = totals_by_subtree(ids, year=year)
        for org in orgs:
            totals = rollup.get(org.id)
            assert ((totals.sessions, totals.checkins, totals.participants) if totals else (0, 0, 0)) == _raw(
                org, year=year), (year, org.id)


def test_people_and_tallies_follow_every_change(db, tree, create_program, create_event):  # type: ignore[no-untyped-def]
    rng = random.Random(22)
    programs = [create_program(org=tree["root"]) for _ in range(3)]
    events = [create_event(programs[i % 3], org, starts_in=timedelta(days=rng.choice([-30, -2, 0, 2])),
                           publish=i % 4 != 0)
              for i, org in enumerate([tree["a"], tree["b"], tree["a_child"], tree["a"], tree["a_child"], tree["b"]])]
    set_additional_programs(events[1], [programs[0]], by=None)
    stations = [create_station(org, by=None, name=f"驿站{i}") for i, org in enumerate([tree["a_child"], tree["b"]])]
    for station, program in zip(stations, programs, strict=False):
        set_station_program(station, local_year(), program, by=None)
    people = [upsert_participant(f"职工{i}", f"1370000{i:04d}", by=None) for i in range(30)]
    db.session.commit()

    _random_changes(rng, tree, events, stations, programs, people)
    assert verify().lines == []
    _check_figures(tree, programs)

    # A program moves to next year: its people leave this year's rollup and join next year's.
    update_program(programs[2], by=None, year=local_year() + 1, name=programs[2].name)
    # A community moves to the other street, with its events and station.
    move_organization(tree["a_child"], tree["b"], by=None)
    db.session.commit()
    db.session.expire_all()
    assert verify().lines == []
    _check_figures(tree, programs)

    # The month tallies: the year's running totals equal the raw rows.
    series = cumulative_by_month(local_year())
    year_events = select(Event.id).where(Event.status == PUBLISHED, Event.starts_at <= utcnow(),
                                         Event.starts_at >= month_start(local_year(), 1))
    headcounts = db.session.scalar(select(func.coalesce(func.sum(
        func.coalesce(Event.onsite_count, 0) + func.coalesce(Event.online_count, 0)), 0)).where(
        Event.id.in_(year_events))) or 0
    checkins = db.session.scalar(select(func.count(CheckIn.id)).where(
        CheckIn.event_id.in_(year_events), CheckIn.status != CHECKIN_PENDING, CheckIn.voided_at.is_(None))) or 0
    sessions = db.session.scalar(select(func.count()).select_from(year_events.subquery()))
    done = [i for i, n in enumerate(series.sessions) if n is not None][-1]
    assert (series.sessions[done], series.attendances[done]) == (sessions, headcounts + checkins)

    rebuild()  # rewriting everything from the raw rows changes nothing
    db.session.commit()
    assert verify().lines == []


def test_a_lost_race_leaves_no_counts_behind(db, tree, create_program, monkeypatch):  # type: ignore[no-untyped-def]
    program = create_program(org=tree["root"])
    station = create_station(tree["a"], by=None, name="驿站")
    set_station_program(station, local_year(), program, by=None)
    person = upsert_participant("王五", "13700009999", by=None)
    db.session.commit()
    record_visit(station, person, by=None)
    db.session.commit()
    # A concurrent submit of the same visit: it read "none today" before the first one committed, so its
    # INSERT fails on the unique constraint under a savepoint; the flush that failed must count nothing.
    real = station_operations.visit_today
    answers = iter([None])
    monkeypatch.setattr(station_operations, "visit_today", lambda *a: next(answers, None) or real(*a))
    again = record_visit(station, person, by=None)
    db.session.commit()
    assert again.created is False
    assert verify().lines == []
    assert totals_by_program([program.id])[program.id].participants == 1
