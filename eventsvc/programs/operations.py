"""State changes for programs and their targets."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from eventsvc.core.exceptions import OperationError
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization, User
from eventsvc.programs.models import CUSTOM, METRIC_LABELS, Program, Target


@dataclass(frozen=True)
class TargetSpec:
    """What a target form row or the seed says: metric, value, and optionally a label/unit/org/level."""

    metric: str
    value: int
    label: str = ""
    unit: str = ""
    organization: Organization | None = None
    level: str = ""


def _check_manager(by: User | None, org: Organization) -> None:
    if by is not None and (not by.can_manage or not by.reaches(org)):
        raise OperationError("您无权管理该组织的活动项目", code="forbidden")


def _validate(name: str, year: int, starts_on: date | None, ends_on: date | None) -> None:
    if not name.strip():
        raise OperationError("请填写项目名称", field="name")
    if not 2000 <= year <= 2100:
        raise OperationError("年度无效", field="year")
    if starts_on and ends_on and ends_on < starts_on:
        raise OperationError("结束日期不能早于开始日期", field="ends_on")


def _refuse_duplicate(organization: Organization, year: int, name: str, *, other_than: int | None = None) -> None:
    """Refuse a second program of the same name, year and organization (the database refuses it too)."""
    stmt = select(func.count(Program.id)).where(
        Program.year == year, Program.name == name.strip(), Program.organization_id == organization.id
    )
    if other_than is not None:
        stmt = stmt.where(Program.id != other_than)
    if db.session.scalar(stmt):
        raise OperationError(f"{year} 年已有名为“{name.strip()}”的项目", code="duplicate", field="name")


def create_program(
    *,
    by: User | None,
    organization: Organization,
    year: int,
    name: str,
    category: str = "",
    description: str = "",
    plan_item: str = "",
    starts_on: date | None = None,
    ends_on: date | None = None,
    lead_departments: Sequence[Organization] = (),
    participating_orgs: Sequence[Organization] = (),
    targets: Sequence[TargetSpec] = (),
) -> Program:
    """Create a program owned by `organization` with its targets."""
    _check_manager(by, organization)
    _validate(name, year, starts_on, ends_on)
    _refuse_duplicate(organization, year, name)
    program = Program(
        organization=organization,
        year=year,
        name=name.strip(),
        category=category,
        description=description.strip(),
        plan_item=plan_item.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        lead_departments=list(lead_departments),
        participating_orgs=list(participating_orgs),
        created_by_id=by.id if by else None,
    )
    db.session.add(program)
    set_targets(program, targets, by=by)
    return program


def update_program(
    program: Program,
    *,
    by: User | None,
    year: int,
    name: str,
    category: str = "",
    description: str = "",
    plan_item: str = "",
    starts_on: date | None = None,
    ends_on: date | None = None,
    lead_departments: Sequence[Organization] = (),
    participating_orgs: Sequence[Organization] = (),
) -> Program:
    """Change a program's descriptive fields (targets are set with set_targets)."""
    _check_manager(by, program.organization)
    _validate(name, year, starts_on, ends_on)
    _refuse_duplicate(program.organization, year, name, other_than=program.id)
    program.year = year
    program.name = name.strip()
    program.category = category
    program.description = description.strip()
    program.plan_item = plan_item.strip()
    program.starts_on = starts_on
    program.ends_on = ends_on
    program.lead_departments = list(lead_departments)
    program.participating_orgs = list(participating_orgs)
    db.session.flush()
    return program


def set_targets(program: Program, specs: Sequence[TargetSpec], *, by: User | None) -> list[Target]:
    """Replace the program's targets; one target per metric/label/level/organization."""
    _check_manager(by, program.organization)
    seen: set[tuple[str, str, str, int | None]] = set()
    targets: list[Target] = []
    for spec in specs:
        if spec.metric not in METRIC_LABELS:
            raise OperationError("目标类型无效", field="targets")
        if spec.value is None or spec.value <= 0:
            raise OperationError("目标数值必须是正整数", field="targets")
        label = spec.label.strip()
        if spec.metric == CUSTOM and (not label or not spec.unit.strip()):
            raise OperationError("自定义目标需要填写名称和单位（如：清凉礼包 / 份）", field="targets")
        key = (spec.metric, label if spec.metric == CUSTOM else "", spec.level,
               spec.organization.id if spec.organization else None)
        if key in seen:
            raise OperationError("同一目标重复填写了两次", field="targets")
        seen.add(key)
        targets.append(Target(
            metric=spec.metric,
            value=int(spec.value),
            label=label if spec.metric == CUSTOM else "",
            unit=spec.unit.strip() if spec.metric == CUSTOM else "",
            organization=spec.organization,
            level=spec.level,
        ))
    # Remove the old rows first: the unit of work inserts before it deletes, and a kept target
    # would otherwise collide with its old row on the unique key.
    if program.targets:
        program.targets = []
        db.session.flush()
    program.targets = targets
    db.session.flush()
    return targets


def delete_program(program: Program, *, by: User | None) -> None:
    """Delete a program that has no events yet."""
    from sqlalchemy import text

    _check_manager(by, program.organization)
    has_events = db.session.scalar(text("SELECT 1 FROM event WHERE program_id = :p LIMIT 1"), {"p": program.id})
    if has_events:
        raise OperationError("该项目下已有活动，不能删除；可以取消其中的活动。", code="has_events")
    db.session.delete(program)
    db.session.flush()
