"""Fixtures for import tests: an event of street A with check-ins."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from eventsvc.extensions import db


@pytest.fixture
def street_event(tree, create_program, create_event, create_participant, create_check_in) -> Callable[..., Any]:
    """street_event(people=3): an event of street A under a district program, with check-ins."""

    programs: list[Any] = []  # one program for every event of a test: program names are unique per year

    def make(people: int = 3, **fields: Any) -> Any:
        if not programs:
            programs.append(create_program(org=tree["root"], name="新就业形态劳动者服务月"))
        program = programs[0]
        fields.setdefault("title", "平湖暖蜂驿站集中服务日")
        event = create_event(program, tree["a"], **fields)
        for n in range(people):
            person = create_participant(f"职工{n + 1:03d}", f"1381234{n:04d}", "美团平湖站", "外卖员")
            create_check_in(event, person)
        db.session.commit()
        return event

    return make
