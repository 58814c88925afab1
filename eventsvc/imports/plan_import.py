"""Importing the year's work plan as programs: parse → preview (stored, editable) → confirm. Web and CLI share it.

A parsed plan becomes a JSON payload (one entry per item, each target marked with what the program's Target
can hold, or why it is skipped). The web stores the payload as an ImportPreview and applies the user's edits
on confirm; the CLI applies it directly. Programs are matched by (owner, year, item number): re-importing
updates them. Every change goes through `programs.operations`, which write their own audit entries.
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from eventsvc.audit.operations import record as audit
from eventsvc.core.exceptions import OperationError
from eventsvc.core.permissions import can_manage_org
from eventsvc.core.timeutil import utcnow
from eventsvc.extensions import db
from eventsvc.imports.models import ImportPreview
from eventsvc.imports.operations import PREVIEW_TTL, PreviewGone, purge_expired_previews
from eventsvc.imports.plan_models import PlanUnitAlias
from eventsvc.imports.plan_parser import Plan
from eventsvc.imports.plan_units import UnitDirectory
from eventsvc.orgs.models import DISTRICT, Organization, User
from eventsvc.programs import models as program_models
from eventsvc.programs.operations import TargetSpec, create_program, set_targets, update_program

PLAN_KIND = "plan"  # ImportPreview.kind
UNIT_SPLIT_RE = re.compile(r"[、，,；;/\s]+")  # how people separate unit names they type
NAME_MAX = 120
UNSUPPORTED = "暂不支持"
# Parser metric → (Target metric, Target kind). Amounts, rates and reported outcomes are CUSTOM targets of
# their kind, named by the words before the figure.
_MAPPING = {
    "sessions": (program_models.SESSIONS, program_models.KIND_EVENTS),
    "attendances": (program_models.ATTENDANCES, program_models.KIND_EVENTS),
    "participants": (program_models.PARTICIPANTS, program_models.KIND_EVENTS),
    "quantity": (program_models.CUSTOM, program_models.KIND_EVENTS),
    "amount": (program_models.CUSTOM, program_models.KIND_AMOUNT),
    "rate": (program_models.CUSTOM, program_models.KIND_RATE),
    "outcome": (program_models.CUSTOM, program_models.KIND_REPORTED),
}


@dataclass
class PlanContext:
    """The owner of the plan's programs and the units a plan may name (from the database)."""

    owner: Organization
    units: dict[str, Organization]
    directory: UnitDirectory


@dataclass
class PlanResult:
    created: int = 0
    updated: int = 0
    skipped_items: int = 0
    skipped_targets: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        text = f"新建 {self.created} 个项目，更新 {self.updated} 个"
        if self.skipped_items:
            text += f"，未勾选 {self.skipped_items} 个条目"
        if self.skipped_targets:
            text += f"，跳过 {len(self.skipped_targets)} 个目标（{UNSUPPORTED}或有误）"
        return text


def aliases() -> dict[str, str]:
    """The alias table administrators extend, as alias → unit name."""
    rows = db.session.execute(select(PlanUnitAlias.alias, Organization.name).join(PlanUnitAlias.organization))
    return {alias: name for alias, name in rows}


def plan_context() -> PlanContext:
    """The district root and the units directly under it (departments, streets, 区直管 units), plus aliases."""
    owner = db.session.scalar(select(Organization).where(Organization.parent_id.is_(None)).order_by(Organization.id))
    if owner is None or owner.kind != DISTRICT:
        raise OperationError("系统中还没有区总工会（根组织），无法导入工作要点", code="no_district")
    orgs = list(db.session.scalars(
        select(Organization).where(Organization.parent_id == owner.id, Organization.is_active.is_(True))
        .order_by(Organization.sort_order, Organization.id)
    ))
    units = {org.name: org for org in orgs}
    return PlanContext(owner, units, UnitDirectory.from_organizations(orgs, aliases()))


def check_may_import(ctx: PlanContext, by: User | None) -> None:
    """Plan programs belong to the district: only its managers import them (None = the CLI, the system)."""
    if by is not None and not can_manage_org(by, ctx.owner):
        raise OperationError("只有区总工会的管理员或活动组织者可以导入工作要点", code="forbidden")


def _support(target: dict[str, Any]) -> tuple[str, str, str, str] | None:
    """(metric, label, unit, kind) a Target holds for a parsed target, or None when it cannot hold it."""
    if target["metric"] not in _MAPPING:
        return None
    metric, kind = _MAPPING[target["metric"]]
    if metric != program_models.CUSTOM:
        return metric, "", "", kind
    label = (target.get("label") or target["unit"]).strip()[:40]
    return metric, label, target["unit"][:10], kind


def _refusal(target: dict[str, Any], value: float, org_name: str, ctx: PlanContext) -> str:
    """Why a parsed (and possibly edited) target cannot become a Target, or "" when it can."""
    support = _support(target)
    if support is None:
        return f"{UNSUPPORTED}（{target['metric']}）"
    metric, _, _, kind = support
    if org_name and org_name not in ctx.units:
        return f"单位“{org_name}”不在组织中"
    if metric != program_models.CUSTOM and value != int(value):
        return "场次、人次、人数目标须为整数"
    if round(value, 2) != value:
        return "目标数值最多两位小数"
    if kind == program_models.KIND_RATE and value > 100:
        return "比率目标不能超过 100%"
    return ""


def _separate_same_metric(targets: list[dict[str, Any]]) -> list[str]:
    """Carry a second 场/人次/人 figure of one item as a per-event quantity named by its words.

    A program counts 人次 once (every check-in of its events), so two 人次 figures in one item (item 9 of 2026:
    100 人次 of 技术帮扶, 1000 人次 of 提升技能) cannot both be that count. The later one becomes a custom
    quantity that events record (帮助企业职工提升技能水平 N 人次), so no figure of the plan is lost.
    """
    warnings: list[str] = []
    seen: set[tuple[str, str, str]] = set()
    for target in targets:
        if target["metric"] not in ("sessions", "attendances", "participants"):
            continue
        key = (target["metric"], target.get("level", ""), target.get("organization") or "")
        if key not in seen:
            seen.add(key)
            continue
        if not (target.get("label") or "").strip():
            continue  # nothing to name it by: left as a duplicate, which confirm reports
        target["metric"] = "quantity"
        warnings.append(f"“{target['text']}”与本条前面的{target['unit']}目标同类，改为按活动填报的数量"
                        f"“{target['label'][:40]}”（{target['unit']}），请确认")
    return warnings


def plan_payload(plan: Plan, ctx: PlanContext) -> dict[str, Any]:
    """The parsed plan as a stored preview holds it: items with targets marked as importable or not."""
    items = []
    for item in plan.items:
        data: dict[str, Any] = item.to_dict()
        data["include"] = True
        warnings = list(item.warnings)
        if len(item.title) > NAME_MAX:
            data["title"] = item.title[:NAME_MAX]
            warnings.append(f"标题超过 {NAME_MAX} 字，已截断，请修改")
        warnings.extend(_separate_same_metric(data["targets"]))
        for target in data["targets"]:
            target["include"] = True
            refusal = _refusal(target, float(target["value"]), target.get("organization") or "", ctx)
            if refusal:
                target["skip"] = refusal
        data["warnings"] = warnings
        items.append(data)
    return {"year": plan.year, "warnings": list(plan.warnings), "items": items}


def existing_programs(ctx: PlanContext, year: int) -> dict[str, program_models.Program]:
    """The owner's programs of the year that carry a plan item number, by number."""
    rows = db.session.scalars(select(program_models.Program).where(
        program_models.Program.organization_id == ctx.owner.id, program_models.Program.year == year,
        program_models.Program.plan_item != ""))
    return {p.plan_item: p for p in rows}


def read_units(text: str, directory: UnitDirectory) -> tuple[list[str], list[str]]:
    """(units, names not known) from a typed list: 权益部、各街道总工会 → aliases and groups resolved."""
    units: list[str] = []
    unknown: list[str] = []
    for written in (w for w in UNIT_SPLIT_RE.split(text) if w.strip()):
        group = directory.group(written)
        name = directory.resolve(written)
        if group is not None:
            units.extend(group.units)
        elif name is not None:
            units.append(name)
        else:
            unknown.append(written.strip()[:60])
    return list(dict.fromkeys(units)), unknown


def _edit_units(item: dict[str, Any], form: Mapping[str, str], i: int, directory: UnitDirectory | None) -> None:
    """Replace the item's lead departments / participants with what the user typed (when the form has them)."""
    if directory is None:
        return
    for role in ("lead", "participants"):
        if f"{role}-{i}" in form:
            item[role], item[f"{role}_unknown"] = read_units(form[f"{role}-{i}"], directory)
    item["participants"] = [p for p in item["participants"] if p not in item["lead"]]


def apply_edits(payload: dict[str, Any], form: Mapping[str, str],
                directory: UnitDirectory | None = None) -> dict[str, Any]:
    """The preview's items with the user's edits: unticked items/targets, titles, lead departments and
    participants (read through `directory`), target values, units and organizations."""
    items = []
    for i, item in enumerate(payload["items"]):
        item = {**item, "include": form.get(f"include-{i}") == "1"}
        title = form.get(f"title-{i}")
        if title is not None:
            item["title"] = " ".join(title.split())
        _edit_units(item, form, i, directory)
        targets = []
        for j, target in enumerate(item["targets"]):
            key = f"t-{i}-{j}"
            target = {**target, "include": form.get(f"{key}-include") == "1"}
            if f"{key}-value" in form:
                target["value"] = _number(form[f"{key}-value"], item["number"])
            if form.get(f"{key}-unit", "").strip():
                target["unit"] = form[f"{key}-unit"].strip()[:10]
            if f"{key}-org" in form:
                target["organization"] = form[f"{key}-org"] or None
            targets.append(target)
        item["targets"] = targets
        items.append(item)
    return {**payload, "items": items}


def _number(text: str, number: str) -> float:
    try:
        value = float(text.strip().replace(",", ""))
    except ValueError:
        raise OperationError(f"第 {number} 条的目标数值“{text[:20]}”不是数字", field="targets") from None
    if not 0 < value < 1e12:
        raise OperationError(f"第 {number} 条的目标数值必须大于 0", field="targets")
    return value


def target_specs(item: dict[str, Any], ctx: PlanContext) -> tuple[list[TargetSpec], list[str]]:
    """The item's included targets as TargetSpecs, and a line for each target that cannot be imported."""
    specs: list[TargetSpec] = []
    skipped: list[str] = []
    seen: set[tuple[str, str, str, str]] = set()
    for target in item["targets"]:
        if not target.get("include", True):
            continue
        where = f"第 {item['number']} 条“{target['text']}”"
        org_name = target.get("organization") or ""
        value = float(target["value"])
        support = _support(target)
        refusal = _refusal(target, value, org_name, ctx)
        if support is None or refusal:
            skipped.append(f"{where}：{refusal}")
            continue
        metric, label, unit, kind = support
        key = (metric, label if metric == program_models.CUSTOM else "", target.get("level", ""), org_name)
        if key in seen:
            skipped.append(f"{where}：与本条前面的目标重复")
            continue
        seen.add(key)
        number = int(value) if value == int(value) else value
        specs.append(TargetSpec(metric, number, label=label, unit=unit, organization=ctx.units.get(org_name),
                                level=target.get("level", "")[:10], kind=kind))
    return specs, skipped


def apply_plan(payload: dict[str, Any], ctx: PlanContext, *, by: User | None) -> PlanResult:
    """Create or update one program per included item (matched by item number); refuse all on any error."""
    check_may_import(ctx, by)
    year = int(payload["year"])
    existing = existing_programs(ctx, year)
    result = PlanResult()
    for item in payload["items"]:
        if not item.get("include", True):
            result.skipped_items += 1
            continue
        unknown = item.get("lead_unknown", []) + item.get("participants_unknown", [])
        if unknown:
            raise OperationError(f"第 {item['number']} 条：单位“{'、'.join(unknown)}”不在组织中，"
                                 "请更正牵头部室或参与单位（可写全称、简称或“各街道总工会”）", field="units")
        specs, skipped = target_specs(item, ctx)
        result.skipped_targets.extend(skipped)
        fields: dict[str, Any] = dict(
            by=by, year=year, name=item["title"], description=item["text"], plan_item=item["number"],
            lead_departments=[ctx.units[n] for n in item["lead"] if n in ctx.units],
            participating_orgs=[ctx.units[n] for n in item["participants"] if n in ctx.units],
            plan_section=item["section"], has_target=any(t.get("include", True) for t in item["targets"]),
        )
        try:
            program = existing.get(item["number"])
            if program is None:
                create_program(organization=ctx.owner, starts_on=date(year, 1, 1), ends_on=date(year, 12, 31),
                               targets=specs, **fields)
                result.created += 1
            else:
                update_program(program, category=program.category, starts_on=program.starts_on,
                               ends_on=program.ends_on, **fields)
                set_targets(program, specs, by=by)
                result.updated += 1
        except OperationError as exc:
            raise OperationError(f"第 {item['number']} 条“{item['title']}”：{exc.message}", code=exc.code) from None
    audit(by, "import.confirm", ctx.owner, object_type="import",
          summary=f"导入 {year} 年工作要点：{result.summary}"[:2000],
          changes={"skipped_targets": result.skipped_targets} if result.skipped_targets else None)
    return result


def store_preview(payload: dict[str, Any], ctx: PlanContext, *, by: User, filename: str = "") -> ImportPreview:
    """Keep a parsed plan as a preview only `by` can confirm; write nothing else."""
    check_may_import(ctx, by)
    purge_expired_previews()
    now = utcnow()
    preview = ImportPreview(token=secrets.token_urlsafe(24), kind=PLAN_KIND, object_id=ctx.owner.id,
                            created_by_id=by.id, created_at=now, expires_at=now + PREVIEW_TTL,
                            filename=filename[:200], payload=payload)
    db.session.add(preview)
    db.session.flush()
    return preview


def confirm_preview(preview: ImportPreview, form: Mapping[str, str], ctx: PlanContext, *, by: User) -> PlanResult:
    """Apply the user's edits to a stored preview and import it, consuming the preview; all or nothing."""
    if (preview.kind != PLAN_KIND or preview.object_id != ctx.owner.id or preview.created_by_id != by.id
            or preview.expires_at <= utcnow()):
        raise PreviewGone()
    result = apply_plan(apply_edits(preview.payload, form, ctx.directory), ctx, by=by)
    db.session.delete(preview)
    db.session.flush()
    return result
