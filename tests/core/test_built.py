"""Kept statements (core/built.py): built once per shape, and never reused for another shape.

The figures are computed for many shapes (scope, period, program lists, rollups by unit and by program,
a year, months), in random orders with the statements kept, and compared with the same calls building
every statement afresh. A key that missed a part of the shape would hand one call another's statement and
the figures would differ.
"""
from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import select

from eventsvc.core import built as built_module
from eventsvc.core.built import built, given, ids
from eventsvc.core.timeutil import utcnow
from eventsvc.events.operations import set_additional_programs, set_quantities
from eventsvc.events.series_operations import create_series, set_sessions
from eventsvc.extensions import db
from eventsvc.programs.models import ATTENDANCES, CUSTOM, KIND_RATE, KIND_REPORTED, SESSIONS
from eventsvc.programs.operations import TargetSpec
from eventsvc.programs.reported_operations import submit_figure
from eventsvc.progress.dashboard import ongoing_events, visible_programs, visible_years
from eventsvc.progress.periods import cumulative_by_months, people_by_subtree
from eventsvc.progress.queries import totals_by_program, totals_by_subtree
from eventsvc.stations.operations import create_station, record_visit, set_station_program
from tests.statements import seen_statements


class _NeverKept(dict[Any, Any]):
    """A store that keeps nothing: every call builds its statements afresh."""

    def setdefault(self, key: Any, default: Any = None) -> Any:
        return default


def test_a_statement_is_built_once_per_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(built_module, "_built", {})
    made: list[str] = []

    def make(name: str) -> Callable[[], str]:
        return lambda: made.append(name) or name

    assert [built(("a", 1), make("a1")), built(("a", 1), make("again")), built(("a", 2), make("a2"))] == [
        "a1", "a1", "a2"]
    assert made == ["a1", "a2"]


def test_ids_are_written_as_numbers_at_execution(app: Any, tree: dict[str, Any]) -> None:
    from eventsvc.orgs.models import Organization

    stmt = built(("test_ids",), lambda: select(Organization.id).where(Organization.id.in_(ids("org_ids")))
                 .order_by(Organization.id))
    wanted = sorted([tree["a"].id, tree["b"].id])
    with seen_statements(db.engine) as seen:
        assert list(db.session.scalars(stmt, given(org_ids=wanted))) == wanted
        assert list(db.session.scalars(stmt, given(org_ids=[tree["root"].id]))) == [tree["root"].id]
    assert f"IN ({wanted[0]}, {wanted[1]})" in seen[0] and f"IN ({tree['root'].id})" in seen[1]


def test_given_leaves_out_what_is_not_in_the_shape() -> None:
    assert given(a=None, b="", c="x", d=(3, "4"), e=0) == {"c": "x", "d": [3, 4], "e": 0}


@pytest.fixture
def year_of_figures(tree: dict[str, Any], create_program: Any, create_event: Any, create_participant: Any,
                    create_check_in: Any) -> dict[str, Any]:
    """Two programs of 2026 and one of 2025 with events across the tree, past and future, an event in two
    programs, quantities, a series, station visits and reported figures."""
    root, a, b, a_child = tree["root"], tree["a"], tree["b"], tree["a_child"]
    p1 = create_program(org=root, year=2026, targets=[
        TargetSpec(SESSIONS, 10), TargetSpec(ATTENDANCES, 100), TargetSpec(CUSTOM, 50, label="发放物资", unit="份"),
        TargetSpec(CUSTOM, 30, label="新增建会企业", unit="家", kind=KIND_REPORTED),
        TargetSpec(CUSTOM, 85, label="集体合同签订率", kind=KIND_RATE),
        TargetSpec(SESSIONS, 4, organization=a)])
    p2 = create_program(org=a, year=2026)
    p3 = create_program(org=root, year=2025)
    people = [create_participant() for _ in range(6)]
    events = []
    for i, (program, org, days) in enumerate([(p1, a, -3), (p1, a_child, -40), (p1, b, -2), (p2, a, -1),
                                              (p1, a, 5), (p2, b, -60), (p1, root, -10)]):
        event = create_event(program=program, org=org, starts_in=timedelta(days=days), title=f"活动{i}")
        events.append(event)
        if days < 0:
            for person in people[i % 3: i % 3 + 3]:
                create_check_in(event, person)
    set_additional_programs(events[0], [p2], by=None)
    set_additional_programs(events[5], [p1], by=None)
    set_quantities(events[0], [("发放物资", "份", 12)], by=None)
    set_quantities(events[2], [("发放物资", "份", 7.5)], by=None)
    set_quantities(events[3], [("发放物资", "份", 3)], by=None)
    series = create_series(p1, a, by=None, title="三大节慰问")
    set_sessions(series, [events[0], events[4]], by=None)
    station = create_station(a_child, by=None, name="白坭坑驿站")
    set_station_program(station, utcnow().year, p1, by=None)
    record_visit(station, people[0], by=None)
    record_visit(station, create_participant(), by=None)
    month = date(utcnow().year, utcnow().month, 1)
    submit_figure(p1, a, by=None, label="新增建会企业", period=month, value=6)
    submit_figure(p1, b, by=None, label="集体合同签订率", period=month, numerator=8, denominator=10)
    db.session.commit()
    return {"root": root, "a": a, "b": b, "a_child": a_child, "p1": p1, "p2": p2, "p3": p3, "month": month,
            "district_user": tree["admin"], "street_user": tree["org_a"]}


def _calls(f: dict[str, Any]) -> list[tuple[str, Callable[[], Any]]]:
    root, a, b, ac = f["root"].id, f["a"].id, f["b"].id, f["a_child"].id
    p1, p2, p3 = f["p1"].id, f["p2"].id, f["p3"].id
    now = utcnow()
    since = now - timedelta(days=30)
    months = (f["month"], f["month"])
    return [
        ("programs", lambda: totals_by_program([p1, p2, p3])),
        ("programs in street a", lambda: totals_by_program([p1, p2], scope_path=f["a"].path)),
        ("programs in street b", lambda: totals_by_program([p1, p2], scope_path=f["b"].path)),
        ("a program's period", lambda: totals_by_program([p1], since=since, months=months)),
        ("a street's period", lambda: totals_by_program([p1, p2], scope_path=f["a"].path, since=since)),
        ("every year's rollup", lambda: totals_by_subtree([root, a, b])),
        ("a year's rollup", lambda: totals_by_subtree([root, a, b, ac], year=2026)),
        ("a community's year", lambda: totals_by_subtree([ac], year=2026)),
        ("one program by unit", lambda: totals_by_subtree([a, b], program_ids=[p1])),
        ("two programs together", lambda: totals_by_subtree([root, a], program_ids=[p1, p2])),
        ("programs by unit", lambda: totals_by_subtree([a, ac, b], program_ids=[p1, p2], by_program=True)),
        ("a year by unit and program", lambda: totals_by_subtree([a], year=2026, by_program=True)),
        ("a period by unit", lambda: totals_by_subtree([root, b], program_ids=[p1], since=since, months=months)),
        ("a period by program", lambda: totals_by_subtree([root], program_ids=[p1, p2], by_program=True,
                                                          since=since)),
        ("people in a period", lambda: people_by_subtree([root, a], [p1, p2], since=since, now=now,
                                                         by_program=False)),
        ("months", lambda: cumulative_by_months([2025, 2026])),
        ("months in street a", lambda: cumulative_by_months([2026], scope_path=f["a"].path)),
        *((f"{who}'s programs of {year}", partial(_ids, visible_programs, f[who], year))
          for who in ("district_user", "street_user") for year in (2025, 2026)),
        *((f"{who}'s years", partial(visible_years, f[who])) for who in ("district_user", "street_user")),
        *((f"{who}'s events under way", partial(_under_way, f[who], now - timedelta(days=3)))
          for who in ("district_user", "street_user")),
    ]


def _ids(read: Callable[..., list[Any]], *args: Any) -> list[int]:
    return [row.id for row in read(*args)]


def _under_way(user: Any, now: Any) -> tuple[int, list[int]]:
    count, events = ongoing_events(user, now=now)
    return count, [e.id for e in events]


def test_kept_statements_give_the_figures_fresh_ones_give(year_of_figures: dict[str, Any],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _calls(year_of_figures)
    monkeypatch.setattr(built_module, "_built", _NeverKept())
    fresh = {name: call() for name, call in calls}
    assert fresh["programs"][year_of_figures["p1"].id].sessions > 0  # the year holds figures to compare
    assert any(t.quantities for t in fresh["programs"].values())
    assert fresh["district_user's events under way"][0] >= 1 and fresh["street_user's programs of 2026"]
    for seed in range(3):
        monkeypatch.setattr(built_module, "_built", {})
        order = calls[:]
        random.Random(seed).shuffle(order)
        for _ in range(2):  # the second round runs every call on statements kept by others
            for name, call in order:
                assert call() == fresh[name], (seed, name)
        assert len(built_module._built) >= 10
