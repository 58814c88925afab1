"""Every state change of events, programs, check-in staff work and imports writes exactly one audit entry.

Each case runs one operation on a prepared scene and names who should appear as the actor, the action,
and the object; the test reads the entries written by that operation alone.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from eventsvc.audit.models import AuditEntry
from eventsvc.checkin.models import MANUAL, SELF_SCAN, CheckIn
from eventsvc.checkin.operations import (
    cancel_registration,
    check_in,
    check_in_by_ticket,
    check_out,
    register,
    undo_check_in,
)
from eventsvc.core.timeutil import utcnow
from eventsvc.events.operations import cancel_event, create_event, publish_event, set_quantities, update_event
from eventsvc.extensions import db
from eventsvc.programs.models import SESSIONS
from eventsvc.programs.operations import TargetSpec, create_program, delete_program, set_targets, update_program
from tests.imports.sheets import confirm, filled_template, token_of, upload

PHONE = "13812345678"


@dataclass
class Scene:
    tree: dict[str, Any]
    program: Any
    event: Any  # published, registration on, check-out on, street A
    draft: Any
    person: Any
    reg: Any  # the person's registration (made by the worker) for `event`
    client: Any
    login: Callable[..., Any]


@pytest.fixture
def scene(tree, create_program, create_event, create_participant, client, login) -> Scene:  # type: ignore[no-untyped-def]
    program = create_program(org=tree["a"], name="审计测试项目")
    event = create_event(program=program, org=tree["a"], registration_mode="on", checkout_enabled=True,
                         starts_in=timedelta(minutes=30), hours=3)
    draft = create_event(program=program, org=tree["a"], publish=False)
    person = create_participant(name="张三丰", phone=PHONE)
    reg = register(event, person, by=None)
    db.session.commit()
    return Scene(tree, program, event, draft, person, reg, client, login)


def _staff_check_in(s: Scene) -> CheckIn:
    return check_in(s.event, s.person, by=s.tree["checker_a"], method=MANUAL).check_in


def _undo(s: Scene) -> tuple[str, int]:
    record = _staff_check_in(s)
    db.session.commit()
    record_id = record.id
    _mark(s)
    undo_check_in(record, by=s.tree["checker_a"], reason="扫错了")
    return "check_in", record_id


def _checkout(s: Scene) -> CheckIn:
    record = _staff_check_in(s)
    db.session.commit()
    _mark(s)
    return check_out(record, by=s.tree["checker_a"])


def _import(s: Scene) -> tuple[str, int]:
    held = create_event(s.program, s.tree["a"], by=None, title="已举办的活动", starts_at=utcnow() - timedelta(hours=3),
                        ends_at=utcnow() - timedelta(hours=1))
    publish_event(held, by=None)
    db.session.commit()
    s.login(s.tree["org_a"])
    page = upload(s.client, held, filled_template(s.client, held, [["李四", "13900001111", "美团", "外卖员", None]]))
    assert page.status_code == 200, page.get_data(as_text=True).split("<main", 1)[-1][:1500]
    _mark(s)
    assert "已导入 1 条" in confirm(s.client, held, token_of(page.get_data(as_text=True))).get_data(as_text=True)
    return "event", held.id


def _delete_program(s: Scene) -> tuple[str, int]:
    extra = create_program(by=None, organization=s.tree["a"], year=2026, name="将删除的项目")
    db.session.commit()
    extra_id = extra.id
    _mark(s)
    delete_program(extra, by=s.tree["org_a"])
    return "program", extra_id


def _staff_cancel(s: Scene) -> Any:
    reg = s.reg
    cancel_registration(reg, by=s.tree["org_a"])
    return reg


def _worker_cancel(s: Scene) -> Any:
    cancel_registration(s.reg, by=None, device_hash="d3v1c3")
    return s.reg


_MARK: dict[str, int] = {}


def _mark(s: Scene) -> None:
    """Entries written before this point belong to the case's set-up, not to the operation under test."""
    _MARK["id"] = db.session.scalar(select(func.max(AuditEntry.id))) or 0


# (case id, operation returning the object or (object_type, object_id), actor key, action)
CASES: list[tuple[str, Callable[[Scene], Any], str, str]] = [
    ("event.create", lambda s: create_event(s.program, s.tree["a"], by=s.tree["org_a"], title="新活动",
                                            starts_at=s.event.starts_at, ends_at=s.event.ends_at),
     "org_a", "event.create"),
    ("event.update", lambda s: update_event(s.event, by=s.tree["org_a"], title="改过的名字"), "org_a", "event.update"),
    ("event.move", lambda s: update_event(s.event, by=s.tree["admin"], organization=s.tree["a_child"]),
     "admin", "event.update"),
    ("event.publish", lambda s: publish_event(s.draft, by=s.tree["org_a"]), "org_a", "event.publish"),
    ("event.cancel", lambda s: cancel_event(s.event, by=s.tree["org_a"], reason="下雨"), "org_a", "event.cancel"),
    ("event.quantities", lambda s: (set_quantities(s.event, [("清凉礼包", "份", 20)], by=s.tree["org_a"]), s.event)[1],
     "org_a", "event.quantities"),
    ("program.create", lambda s: create_program(by=s.tree["org_a"], organization=s.tree["a"], year=2026, name="新项目",
                                                targets=[TargetSpec(SESSIONS, 3)]), "org_a", "program.create"),
    ("program.update", lambda s: update_program(s.program, by=s.tree["org_a"], year=2026, name="改名项目"),
     "org_a", "program.update"),
    ("program.targets", lambda s: (set_targets(s.program, [TargetSpec(SESSIONS, 99)], by=s.tree["org_a"]),
                                   s.program)[1], "org_a", "program.targets"),
    ("program.delete", _delete_program, "org_a", "program.delete"),
    ("checkin.walk_in", _staff_check_in, "checker_a", "checkin.create"),
    ("checkin.ticket_scan", lambda s: check_in_by_ticket(s.event, s.reg.token, by=s.tree["checker_a"]).check_in,
     "checker_a", "checkin.create"),
    ("checkin.checkout", _checkout, "checker_a", "checkin.checkout"),
    ("checkin.undo", _undo, "checker_a", "checkin.undo"),
    ("registration.create", lambda s: register(s.event, {"name": "王五", "phone": "13700001111"}, by=s.tree["org_a"]),
     "org_a", "registration.create"),
    ("registration.cancel.staff", _staff_cancel, "org_a", "registration.cancel"),
    ("registration.cancel.worker", _worker_cancel, "worker", "registration.cancel"),
    ("import.confirm", _import, "org_a", "import.confirm"),
]


@pytest.mark.parametrize(("operation", "actor", "action"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_state_change_writes_exactly_one_entry(scene: Scene, operation, actor: str, action: str) -> None:  # type: ignore[no-untyped-def]
    _mark(scene)
    result = operation(scene)
    db.session.commit()
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.id > _MARK["id"])).all()
    assert [e.action for e in entries] == [action]
    entry = entries[0]
    object_type, object_id = result if isinstance(result, tuple) else (result.__tablename__, result.id)
    assert (entry.object_type, entry.object_id) == (object_type, object_id)
    if actor == "worker":
        assert (entry.actor_kind, entry.device_hash, entry.actor_id) == ("worker", "d3v1c3", None)
    else:
        assert (entry.actor_kind, entry.actor_id) == ("user", scene.tree[actor].id)
        assert entry.actor_name == scene.tree[actor].username
    assert entry.organization_id is not None
    assert PHONE not in entry.summary + str(entry.changes)


def test_edits_record_before_and_after(scene: Scene) -> None:
    update_event(scene.event, by=scene.tree["org_a"], title="改过的名字", venue_name="坂田驿站")
    db.session.commit()
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "event.update")).one()
    assert entry.changes["title"][1] == "改过的名字" and entry.changes["venue_name"] == ["平湖暖蜂驿站", "坂田驿站"]
    assert set(entry.changes) == {"title", "venue_name"} and entry.summary.endswith("：名称、地点")


def test_unchanged_edit_and_worker_self_service_write_nothing(scene: Scene) -> None:
    _mark(scene)
    update_event(scene.event, by=scene.tree["org_a"], title=scene.event.title)
    record = check_in(scene.event, scene.person, by=None, method=SELF_SCAN).check_in  # the row is the record
    check_out(record, by=None)
    register(scene.event, {"name": "赵六", "phone": "13600001111"}, by=None)
    db.session.commit()
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.id > _MARK["id"])) == 0


def test_cancelling_a_seat_promotes_the_first_waiting_with_its_own_entry(scene, create_event) -> None:  # type: ignore[no-untyped-def]
    event = create_event(program=scene.program, org=scene.tree["a"], registration_mode="on",
                         registration_capacity=1, starts_in=timedelta(days=2))
    seated = register(event, {"name": "甲", "phone": "13500000001"}, by=None)
    waiting = register(event, {"name": "乙", "phone": "13500000002"}, by=None)
    db.session.commit()
    _mark(scene)
    cancel_registration(seated, by=None, device_hash="abc")
    db.session.commit()
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.id > _MARK["id"]).order_by(AuditEntry.id)).all()
    assert [(e.action, e.actor_kind, e.object_id) for e in entries] == [
        ("registration.cancel", "worker", seated.id), ("registration.promote", "system", waiting.id)]
