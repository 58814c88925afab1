"""The flask commands: create-admin and seed-demo (idempotent)."""
from __future__ import annotations

from sqlalchemy import func, select

from eventsvc.checkin.models import CheckIn, Participant
from eventsvc.events.models import CANCELLED, DRAFT, Event
from eventsvc.orgs.models import STREET, Organization, User
from eventsvc.programs.models import Program, Target
from eventsvc.progress.queries import totals_by_program


def _counts(db) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in
                 (Organization, User, Program, Target, Event, Participant, CheckIn))


def test_seed_demo_twice_does_not_duplicate(runner, db) -> None:
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "演示账号" in first.output and "admin" in first.output
    counts = _counts(db)
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert _counts(db) == counts


def test_seed_demo_has_the_plan_programs_and_targets(runner, db) -> None:
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    streets = db.session.scalars(select(Organization.short_name).where(Organization.kind == STREET)).all()
    expected = ["平湖", "坂田", "布吉", "南湾", "横岗", "园山", "龙城", "龙岗", "宝龙", "坪地", "吉华"]
    assert sorted(streets) == sorted(expected)
    programs = {p.name: p for p in db.session.scalars(select(Program).where(Program.year == 2026))}
    assert len(programs) >= 5
    month = programs["新就业形态劳动者服务月"]
    overall = {(t.metric, t.level): t.value for t in month.overall_targets}
    assert overall[("sessions", "")] == 150 and overall[("attendances", "")] == 20000
    three = {(t.metric, t.level): t.value for t in programs["职工“三大节”活动"].overall_targets}
    assert three == {("sessions", ""): 47, ("sessions", "市级"): 1, ("sessions", "区级"): 6, ("sessions", "街道级"): 40}
    assert {(t.metric, t.value) for t in programs["普法宣传活动"].targets} == {("sessions", 500)}
    # The dashboard is not empty on first start.
    totals = totals_by_program([month.id])[month.id]
    assert totals.sessions > 0 and totals.attendances > 0
    statuses = set(db.session.scalars(select(Event.status)))
    assert {DRAFT, CANCELLED} <= statuses


def test_seed_demo_if_empty_skips_filled_database(runner, db, create_org) -> None:
    create_org()
    db.session.commit()
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0 and "跳过" in result.output
    assert db.session.scalar(select(func.count(Program.id))) == 0


def test_create_admin(runner, db) -> None:
    result = runner.invoke(args=["create-admin", "--username", "boss", "--password", "s3cret-pass"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "boss"))
    assert user is not None and user.role == "admin" and user.check_password("s3cret-pass")
    assert user.organization.parent_id is None
    again = runner.invoke(args=["create-admin", "--username", "boss", "--password", "s3cret-pass"])
    assert again.exit_code != 0 and "已被使用" in again.output
