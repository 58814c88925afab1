"""create_* fixtures that return callables building real rows through the operations."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from itertools import count
from typing import Any

import pytest

from eventsvc.checkin.models import SELF_SCAN, CheckIn, Participant
from eventsvc.checkin.operations import check_in, upsert_participant
from eventsvc.core.timeutil import utcnow
from eventsvc.events.models import Event
from eventsvc.events.operations import create_event as op_create_event
from eventsvc.events.operations import publish_event
from eventsvc.extensions import db
from eventsvc.orgs.models import DISTRICT, STREET, Organization, User
from eventsvc.orgs.operations import create_organization
from eventsvc.orgs.operations import create_user as op_create_user
from eventsvc.orgs.queries import district_root
from eventsvc.programs.models import ATTENDANCES, SESSIONS, Program
from eventsvc.programs.operations import TargetSpec
from eventsvc.programs.operations import create_program as op_create_program

_seq = count(1)
# Every factory-made account has this password (it satisfies eventsvc.core.passwords' policy).
TEST_PASSWORD = "correct-horse-26"

__all__ = [
    "create_org", "create_user", "create_program", "create_event", "create_participant", "create_check_in",
]


@pytest.fixture
def create_org(app) -> Callable[..., Organization]:  # type: ignore[no-untyped-def]
    """create_org(name=None, kind=STREET, parent=<district root>)."""

    def make(name: str | None = None, kind: str = STREET, parent: Organization | None = None) -> Organization:
        if kind == DISTRICT:
            return create_organization(name or "深圳市龙岗区总工会", DISTRICT, None, by=None, short_name="区总工会")
        root = parent or district_root() or create_organization("深圳市龙岗区总工会", DISTRICT, None, by=None)
        n = next(_seq)
        short_name = (name or f"测试{n}")[:8]
        return create_organization(name or f"测试街道{n}总工会", kind, root, by=None, short_name=short_name)

    return make


@pytest.fixture
def create_user(app, create_org) -> Callable[..., User]:  # type: ignore[no-untyped-def]
    """create_user(role='organizer', org=None, username=None); password is TEST_PASSWORD."""

    def make(role: str = "organizer", org: Organization | None = None, username: str | None = None) -> User:
        org = org or district_root() or create_org(kind=DISTRICT)
        user = op_create_user(username or f"user{next(_seq)}", TEST_PASSWORD, role, org, by=None)
        db.session.commit()
        return user

    return make


@pytest.fixture
def create_program(app, create_org) -> Callable[..., Program]:  # type: ignore[no-untyped-def]
    """create_program(org=None, name=None, targets=None, year=2026)."""

    def make(org: Organization | None = None, name: str | None = None, targets: Any = None,
             year: int = 2026, **kw: Any) -> Program:
        org = org or district_root() or create_org(kind=DISTRICT)
        specs = targets if targets is not None else [TargetSpec(SESSIONS, 10), TargetSpec(ATTENDANCES, 100)]
        program = op_create_program(by=None, organization=org, year=year, name=name or f"测试项目{next(_seq)}",
                                 targets=specs, **kw)
        db.session.commit()
        return program

    return make


@pytest.fixture
def create_event(app, create_program, create_org) -> Callable[..., Event]:  # type: ignore[no-untyped-def]
    """create_event(program=None, org=None, starts_in=timedelta(minutes=-10), hours=2, publish=True, **fields)."""

    def make(program: Program | None = None, org: Organization | None = None,
             starts_in: timedelta = timedelta(minutes=-10), hours: float = 2, publish: bool = True,
             **fields: Any) -> Event:
        program = program or create_program()
        org = org or program.organization
        starts = utcnow() + starts_in
        fields.setdefault("title", f"测试活动{next(_seq)}")
        fields.setdefault("venue_name", "平湖暖蜂驿站")
        ends = starts + timedelta(hours=hours)
        event = op_create_event(program, org, by=None, starts_at=starts, ends_at=ends, **fields)
        if publish:
            publish_event(event, by=None)
        db.session.commit()
        return event

    return make


@pytest.fixture
def create_participant(app) -> Callable[..., Participant]:  # type: ignore[no-untyped-def]
    """create_participant(name=None, phone=None, workplace='', group='')."""

    def make(name: str | None = None, phone: str | None = None, workplace: str = "", group: str = "") -> Participant:
        n = next(_seq)
        person = upsert_participant(name or f"职工{n}", phone or f"139{n:08d}", workplace, group, by=None)
        db.session.commit()
        return person

    return make


@pytest.fixture
def create_check_in(app, create_participant) -> Callable[..., CheckIn]:  # type: ignore[no-untyped-def]
    """create_check_in(event, participant=None, method=SELF_SCAN): bypasses the window, as an import would."""

    def make(event: Event, participant: Participant | None = None, method: str = SELF_SCAN) -> CheckIn:
        participant = participant or create_participant()
        result = check_in(event, participant, by=None, method=method, enforce_window=False)
        db.session.commit()
        return result.check_in

    return make


def build_tree() -> dict[str, Organization | User]:
    """Create the district root, two streets (A with a community), and a user of each role through the operations.

    conftest's `tree` fixture builds this once per run and copies its rows into each test's database.
    """
    root = create_organization("深圳市龙岗区总工会", DISTRICT, None, by=None, short_name="区总工会")
    street_a = create_organization("平湖街道总工会", STREET, root, by=None, short_name="平湖街道总工会")
    street_b = create_organization("坂田街道总工会", STREET, root, by=None, short_name="坂田街道总工会")
    community_a = create_organization("平湖街道白坭坑社区工联会", "federation", street_a, by=None,
                                      short_name="平湖街道白坭坑社")
    users = {key: op_create_user(username, TEST_PASSWORD, role, org, by=None) for key, username, role, org in [
        ("admin", "admin", "admin", root),
        ("district_viewer", "dviewer", "viewer", root),
        ("org_a", "org_a", "organizer", street_a),
        ("org_b", "org_b", "organizer", street_b),
        ("checker_a", "checker_a", "checker", street_a),
        ("viewer_a", "viewer_a", "viewer", street_a),
    ]}
    return {"root": root, "a": street_a, "b": street_b, "a_child": community_a, **users}
