"""Station fixtures: a station of street A whose 2026 visits count toward a program."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from eventsvc.extensions import db
from eventsvc.stations.models import Station
from eventsvc.stations.operations import create_station, set_station_program


@pytest.fixture
def make_station(app, create_program) -> Callable[..., Station]:  # type: ignore[no-untyped-def]
    """make_station(org, program=None, year=None, **fields): a station, its program chosen for `year`."""

    def make(org: Any, program: Any = None, year: int | None = None, **fields: Any) -> Station:
        fields.setdefault("name", "平湖暖蜂驿站")
        fields.setdefault("services", "饮用水\n手机充电\n微波炉")
        station = create_station(org, by=None, **fields)
        if program is not None:
            set_station_program(station, year or program.year, program, by=None)
        db.session.commit()
        return station

    return make
