"""State changes for series: create/edit, choose the sessions, and targets that count a series as one 项."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select

from eventsvc.audit.operations import changes_since, snapshot
from eventsvc.audit.operations import record as audit
from eventsvc.core.exceptions import OperationError
from eventsvc.core.permissions import can_manage_org, manages_program
from eventsvc.events.models import Event
from eventsvc.events.series_models import SERIES_KIND_LABELS, Series, series_event
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization, User
from eventsvc.programs.models import SESSIONS, Program, Target

EDITABLE_FIELDS = ("title", "kind", "description", "threshold_percent", "hours", "certificates_enabled")
MAX_HOURS = 10_000


def _check_manager(by: User | None, org: Organization) -> None:
    if by is not None and not can_manage_org(by, org):
        raise OperationError("您无权管理该单位的系列活动", code="forbidden")


def _apply(series: Series, values: Mapping[str, Any]) -> None:
    for key, value in values.items():
        if key in EDITABLE_FIELDS:
            setattr(series, key, value.strip() if isinstance(value, str) else value)
    if not series.title:
        raise OperationError("请填写系列名称", field="title")
    if len(series.title) > 120:
        raise OperationError("系列名称最多 120 字", field="title")
    if series.kind not in SERIES_KIND_LABELS:
        raise OperationError("系列类型无效", field="kind")
    if not isinstance(series.threshold_percent, int) or not 1 <= series.threshold_percent <= 100:
        raise OperationError("结业标准应为 1 到 100 之间的百分数", field="threshold_percent")
    hours = series.hours or 0
    if not isinstance(hours, int | float) or not 0 <= hours <= MAX_HOURS:
        raise OperationError("学时应在 0 到 10000 之间", field="hours")


def create_series(program: Program, organization: Organization, *, by: User | None, **values: Any) -> Series:
    """Create a series of `organization` under `program` (sessions are added afterwards)."""
    _check_manager(by, organization)
    series = Series(program=program, organization=organization, kind="course", description="", threshold_percent=80,
                    hours=0, certificates_enabled=False, created_by_id=by.id if by else None)
    _apply(series, values)
    db.session.add(series)
    db.session.flush()
    audit(by, "series.create", series, summary=f"创建系列活动“{series.title}”")
    return series


def update_series(series: Series, *, by: User | None, **values: Any) -> Series:
    """Change a series' name, kind, completion threshold, hours or certificate setting."""
    _check_manager(by, series.organization)
    before = snapshot(series, EDITABLE_FIELDS)
    _apply(series, values)
    changes = changes_since(before, series)
    if changes:
        audit(by, "series.update", series, summary=f"修改系列活动“{series.title}”", changes=changes)
    db.session.flush()
    return series


def set_sessions(series: Series, events: Sequence[Event], *, by: User | None) -> None:
    """Replace the series' sessions: events of its program that the series' unit may manage."""
    _check_manager(by, series.organization)
    chosen: list[Event] = []
    for event in events:
        in_program = event.program_id == series.program_id or any(
            p.id == series.program_id for p in event.additional_programs)
        if not in_program:
            raise OperationError(f"“{event.title}”不属于本系列的项目", field="event_ids")
        if by is not None and not can_manage_org(by, event.organization):
            raise OperationError(f"您无权管理“{event.title}”", code="forbidden")
        if event not in chosen:
            chosen.append(event)
    taken = db.session.scalars(
        select(Event.title).join(series_event, series_event.c.event_id == Event.id)
        .where(series_event.c.series_id != series.id, Event.id.in_([e.id for e in chosen] or [0]))).all()
    if taken:
        raise OperationError(f"“{taken[0]}”已属于另一个系列", field="event_ids")
    before = sorted(e.id for e in series.events)
    series.events = chosen
    after = sorted(e.id for e in chosen)
    if before != after:
        audit(by, "series.sessions", series, summary=f"系列活动“{series.title}”现有 {len(chosen)} 场",
              changes={"event_ids": [before, after]})
    db.session.flush()


def set_series_as_one(target: Target, value: bool, *, by: User | None) -> None:
    """Make a 场次 target count each series of its program as one 项 (三大节 47 项), or its sessions again."""
    if by is not None and not manages_program(by, target.program):
        raise OperationError("您无权修改该项目的目标", code="forbidden")
    if target.metric != SESSIONS:
        raise OperationError("只有场次目标可以按系列计为一项", field="series_as_one")
    if bool(target.series_as_one) != bool(value):
        target.series_as_one = bool(value)
        audit(by, "program.target_series", target.program,
              summary=f"目标“{target.metric_label}”{'按系列计为一项' if value else '按场次计算'}",
              changes={"target_id": target.id, "series_as_one": [not value, bool(value)]})
    db.session.flush()
