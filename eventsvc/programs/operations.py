"""State changes for programs and their targets."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from eventsvc.audit.labels import field_names
from eventsvc.audit.operations import changes_since, snapshot
from eventsvc.audit.operations import record as audit
from eventsvc.core.exceptions import OperationError
from eventsvc.core.figures import Number
from eventsvc.core.permissions import can_manage_org, manages_program
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization, User
from eventsvc.programs.models import (
    ATTENDANCES,
    CUSTOM,
    KIND_EVENTS,
    KIND_LABELS,
    KIND_RATE,
    METRIC_LABELS,
    SESSIONS,
    SOURCE_LABELS,
    Program,
    Target,
)


@dataclass(frozen=True)
class TargetSpec:
    """What a target form row or the seed says: metric, value, and optionally a label/unit/org/level."""

    metric: str
    value: Number
    label: str = ""
    unit: str = ""
    organization: Organization | None = None
    level: str = ""
    kind: str = KIND_EVENTS  # where achievement comes from (events, amount, rate, reported)
    sources: tuple[str, ...] = ()  # for 人次: the parts that count (SRC_*); empty = all
    series_as_one: bool = False  # for 场次: each series counts as one 项 (progress/series.py)


def _check_manager(by: User | None, target: Organization | Program) -> None:
    """Refuse unless `by` manages the program (or may create one for the organization): §6 write scope."""
    allowed = manages_program(by, target) if isinstance(target, Program) else can_manage_org(by, target)
    if by is not None and not allowed:
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


def _refuse_duplicate_item(organization: Organization, year: int, plan_item: str, *,
                           other_than: int | None = None) -> None:
    """Refuse a second program of the same plan item number (plan re-imports match on it; the database too)."""
    if not plan_item.strip():
        return
    stmt = select(Program.name).where(
        Program.year == year, Program.plan_item == plan_item.strip(), Program.organization_id == organization.id
    )
    if other_than is not None:
        stmt = stmt.where(Program.id != other_than)
    other = db.session.scalar(stmt.limit(1))
    if other is not None:
        raise OperationError(f"{year} 年工作要点第 {plan_item.strip()} 条已对应项目“{other}”",
                             code="duplicate", field="plan_item")


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
    plan_section: str = "",
    has_target: bool = True,
) -> Program:
    """Create a program owned by `organization` with its targets."""
    _check_manager(by, organization)
    _validate(name, year, starts_on, ends_on)
    _refuse_duplicate(organization, year, name)
    _refuse_duplicate_item(organization, year, plan_item)
    program = Program(
        organization=organization,
        year=year,
        name=name.strip(),
        category=category,
        description=description.strip(),
        plan_item=plan_item.strip(),
        plan_section=plan_section.strip()[:200],
        has_target=has_target,
        starts_on=starts_on,
        ends_on=ends_on,
        lead_departments=list(lead_departments),
        participating_orgs=list(participating_orgs),
        created_by_id=by.id if by else None,
    )
    db.session.add(program)
    _apply_targets(program, targets)
    audit(by, "program.create", program, summary=f"创建项目“{program.name}”（{year} 年，目标 {len(targets)} 项）")
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
    plan_section: str | None = None,
    has_target: bool | None = None,
) -> Program:
    """Change a program's descriptive fields (targets are set with set_targets); None keeps a plan field."""
    _check_manager(by, program)
    _validate(name, year, starts_on, ends_on)
    _refuse_duplicate(program.organization, year, name, other_than=program.id)
    _refuse_duplicate_item(program.organization, year, plan_item, other_than=program.id)
    before = snapshot(program, _PROGRAM_FIELDS)
    program.year = year
    program.name = name.strip()
    program.category = category
    program.description = description.strip()
    program.plan_item = plan_item.strip()
    if plan_section is not None:
        program.plan_section = plan_section.strip()[:200]
    if has_target is not None:
        program.has_target = has_target
    program.starts_on = starts_on
    program.ends_on = ends_on
    program.lead_departments = list(lead_departments)
    program.participating_orgs = list(participating_orgs)
    changes = changes_since(before, program)
    if changes:  # saving an unchanged form is not a change
        audit(by, "program.update", program, summary=f"修改项目“{program.name}”：{field_names(changes)}",
              changes=changes)
    db.session.flush()
    return program


_PROGRAM_FIELDS = ("year", "name", "category", "description", "plan_item", "plan_section", "has_target",
                   "starts_on", "ends_on",
                   "lead_departments", "participating_orgs")


def _target_lines(program: Program) -> list[str]:
    return sorted(f"{t.label or METRIC_LABELS.get(t.metric, t.metric)}{'/' + t.level if t.level else ''}"
                  f"{'/' + t.organization.name if t.organization else ''}={t.value}"
                  f"{'（系列计为一项）' if t.series_as_one else ''}" for t in program.targets)


def set_targets(program: Program, specs: Sequence[TargetSpec], *, by: User | None) -> list[Target]:
    """Replace the program's targets; one target per metric/label/level/organization."""
    _check_manager(by, program)
    before = _target_lines(program)
    targets = _apply_targets(program, specs)
    after = _target_lines(program)
    if before != after:
        audit(by, "program.targets", program, summary=f"修改项目“{program.name}”的目标",
              changes={"targets": [before, after]})
    return targets


def _apply_targets(program: Program, specs: Sequence[TargetSpec]) -> list[Target]:
    seen: set[tuple[str, str, str, int | None]] = set()
    targets: list[Target] = []
    for spec in specs:
        _check_kind(spec)
        label = spec.label.strip()
        key = (spec.metric, label if spec.metric == CUSTOM else "", spec.level,
               spec.organization.id if spec.organization else None)
        if key in seen:
            raise OperationError("同一目标重复填写了两次", field="targets")
        seen.add(key)
        targets.append(Target(
            metric=spec.metric,
            value=spec.value,
            label=label if spec.metric == CUSTOM else "",
            unit=spec.unit.strip() if spec.metric == CUSTOM else "",
            organization=spec.organization,
            level=spec.level,
            kind=spec.kind,
            attendance_sources=",".join(spec.sources) if spec.metric == ATTENDANCES else "",
            series_as_one=bool(spec.series_as_one) and spec.metric == SESSIONS and spec.kind == KIND_EVENTS,
        ))
    # Remove the old rows first: the unit of work inserts before it deletes, and a kept target
    # would otherwise collide with its old row on the unique key.
    if program.targets:
        program.targets = []
        db.session.flush()
    program.targets = targets
    db.session.flush()
    return targets


def _check_kind(spec: TargetSpec) -> None:
    """Refuse a target whose kind, metric, value or sources do not fit together."""
    if spec.metric not in METRIC_LABELS or spec.kind not in KIND_LABELS:
        raise OperationError("目标类型无效", field="targets")
    if spec.value is None or not isinstance(spec.value, int | float) or spec.value <= 0:
        raise OperationError("目标数值必须是正数", field="targets")
    if spec.kind == KIND_EVENTS and spec.metric != CUSTOM and spec.value != int(spec.value):
        raise OperationError("场次、人次、人数目标必须是整数", field="targets")
    if spec.kind == KIND_RATE and spec.value > 100:
        raise OperationError("比率目标是百分数，不能超过 100", field="targets")
    if spec.kind != KIND_EVENTS and spec.metric != CUSTOM:
        raise OperationError("金额、比率和填报目标需要填写名称和单位", field="targets")
    if spec.metric == CUSTOM and (not spec.label.strip() or (spec.kind != KIND_RATE and not spec.unit.strip())):
        raise OperationError("自定义目标需要填写名称和单位（如：清凉礼包 / 份）", field="targets")
    if any(s not in SOURCE_LABELS for s in spec.sources):
        raise OperationError("人次的统计来源无效", field="targets")


def delete_program(program: Program, *, by: User | None) -> None:
    """Delete a program that has no events yet."""
    from sqlalchemy import text

    _check_manager(by, program)
    has_events = db.session.scalar(text("SELECT 1 FROM event WHERE program_id = :p LIMIT 1"), {"p": program.id})
    if has_events:
        raise OperationError("该项目下已有活动，不能删除；可以取消其中的活动。", code="has_events")
    audit(by, "program.delete", program, summary=f"删除项目“{program.name}”（{program.year} 年）")
    db.session.delete(program)
    db.session.flush()
