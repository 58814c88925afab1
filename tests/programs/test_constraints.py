"""The database itself refuses duplicate programs and targets, whatever code writes them."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from eventsvc.programs.models import ATTENDANCES, SESSIONS, Program, Target
from eventsvc.programs.operations import TargetSpec


def _flush_refused(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_database_refuses_a_second_program_of_same_name_year_and_owner(db, tree, create_program):
    first = create_program(org=tree["a"], name="普法宣传", targets=[])
    db.session.add(Program(organization_id=first.organization_id, year=2026, name="普法宣传"))
    _flush_refused(db)
    # Another year or another owner is a different program.
    db.session.add(Program(organization_id=first.organization_id, year=2027, name="普法宣传"))
    db.session.add(Program(organization_id=tree["b"].id, year=2026, name="普法宣传"))
    db.session.flush()
    assert db.session.scalar(select(func.count(Program.id)).where(Program.name == "普法宣传")) == 3


@pytest.mark.parametrize("share", [False, True], ids=["overall", "share"])
def test_database_refuses_a_duplicate_target(db, tree, create_program, share):
    org_id = tree["a"].id if share else None
    program = create_program(targets=[])
    db.session.add(Target(program_id=program.id, metric=SESSIONS, value=10, organization_id=org_id))
    db.session.flush()
    db.session.add(Target(program_id=program.id, metric=SESSIONS, value=20, organization_id=org_id))
    _flush_refused(db)
    assert db.session.scalar(select(func.count(Target.id))) == 0


def test_targets_differing_in_level_label_or_organization_are_kept(db, tree, create_program):
    program = create_program(targets=[
        TargetSpec(SESSIONS, 47), TargetSpec(SESSIONS, 6, level="区级"), TargetSpec(ATTENDANCES, 100),
        TargetSpec(SESSIONS, 10, organization=tree["a"]), TargetSpec(SESSIONS, 10, organization=tree["b"]),
        TargetSpec("custom", 2000, label="清凉礼包", unit="份"), TargetSpec("custom", 100, label="矿泉水", unit="箱"),
    ])
    assert db.session.scalar(select(func.count(Target.id)).where(Target.program_id == program.id)) == 7


def test_database_refuses_an_unknown_metric(db, create_program):
    program = create_program(targets=[])
    db.session.add(Target(program_id=program.id, metric="hours", value=3))
    _flush_refused(db)


def test_renaming_onto_another_program_is_refused_on_the_form(db, tree, login, create_program):
    create_program(org=tree["a"], name="夏送清凉", targets=[])
    other = create_program(org=tree["a"], name="普法宣传", targets=[TargetSpec(SESSIONS, 5)])
    client = login(tree["org_a"])
    resp = client.post(f"/programs/{other.id}/edit", data={
        "year": "2026", "name": "夏送清凉", "targets-0-metric": SESSIONS, "targets-0-value": "5",
    })
    assert resp.status_code == 400
    assert "2026 年已有名为“夏送清凉”的项目" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Program, other.id).name == "普法宣传"


def test_saving_a_program_with_the_same_targets_keeps_them(db, tree, login, create_program):
    program = create_program(org=tree["a"], name="普法宣传", targets=[TargetSpec(SESSIONS, 5)])
    client = login(tree["org_a"])
    resp = client.post(f"/programs/{program.id}/edit", data={
        "year": "2026", "name": "普法宣传", "targets-0-metric": SESSIONS, "targets-0-value": "8",
    })
    assert resp.status_code == 302
    db.session.expire_all()
    assert [(t.metric, t.value) for t in db.session.get(Program, program.id).targets] == [(SESSIONS, 8)]
