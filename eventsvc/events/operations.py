"""State changes for events: create, edit, publish, cancel, counted quantities."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select

from eventsvc.audit.labels import field_names
from eventsvc.audit.operations import changes_since, snapshot
from eventsvc.audit.operations import record as audit
from eventsvc.core.exceptions import OperationError
from eventsvc.core.figures import Number
from eventsvc.core.permissions import can_manage_org
from eventsvc.core.timeutil import utcnow
from eventsvc.core.tokens import random_code
from eventsvc.events.models import (
    CANCELLED,
    DRAFT,
    KINDS,
    LEVELS,
    PUBLISHED,
    QR_DYNAMIC,
    QR_STATIC,
    REG_OFF,
    REG_ON,
    TARGET_GROUPS,
    Event,
    EventQuantity,
)
from eventsvc.extensions import db
from eventsvc.notices.operations import notify_event_cancelled, notify_event_changed
from eventsvc.orgs.models import Organization, User
from eventsvc.programs.models import Program

# Fields an organizer edits on the event form; everything else changes through named operations.
EDITABLE_FIELDS = (
    "title", "description", "level", "kind", "starts_at", "ends_at", "venue_name", "venue_address",
    "capacity", "target_groups", "checkin_opens_at", "checkin_closes_at", "registration_mode",
    "registration_opens_at", "registration_closes_at", "registration_capacity", "waitlist_enabled",
    "requires_registration", "qr_mode", "checkout_enabled", "expected_attendance",
    # Reported attendance (现场人数 / 线上人次) and joint organizers (issue 10 §3, §4).
    "onsite_count", "onsite_note", "online_count", "online_note", "co_organization_id", "co_organizers",
)
MAX_REPORTED_ATTENDANCE = 1_000_000


def _check_manager(by: User | None, org: Organization) -> None:
    # Write scope, not read scope: a district department reads every event but changes only its own (§6).
    if by is not None and not can_manage_org(by, org):
        raise OperationError("您无权管理该组织的活动", code="forbidden")


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in values.items() if k in EDITABLE_FIELDS}
    for key in ("title", "description", "venue_name", "venue_address", "onsite_note", "online_note",
                "co_organizers"):
        if key in data:
            data[key] = (data[key] or "").strip()
    if "target_groups" in data and not isinstance(data["target_groups"], str):
        groups = [g for g in data["target_groups"] if g in TARGET_GROUPS]
        data["target_groups"] = ",".join(groups)
    return data


def _validate(event: Event) -> None:
    if not event.title:
        raise OperationError("请填写活动名称", field="title")
    if event.level not in LEVELS:
        raise OperationError("活动级别无效", field="level")
    if event.kind not in KINDS:
        raise OperationError("活动类型无效", field="kind")
    if not event.starts_at or not event.ends_at:
        raise OperationError("请填写开始和结束时间", field="starts_at")
    if event.ends_at <= event.starts_at:
        raise OperationError("结束时间必须晚于开始时间", field="ends_at")
    for field in ("capacity", "registration_capacity", "expected_attendance"):
        value = getattr(event, field)
        if value is not None and value <= 0:
            raise OperationError("人数必须是正整数", field=field)
    opens, closes = event.checkin_opens_at, event.checkin_closes_at
    if opens and closes and closes <= opens:
        raise OperationError("签到截止时间必须晚于签到开始时间", field="checkin_closes_at")
    if event.registration_mode not in (REG_OFF, REG_ON):
        raise OperationError("报名设置无效", field="registration_mode")
    if event.qr_mode not in (QR_STATIC, QR_DYNAMIC):
        raise OperationError("二维码模式无效", field="qr_mode")
    if event.requires_registration and event.registration_mode != REG_ON:
        raise OperationError("要求凭报名签到时，必须开启报名", field="requires_registration")
    _validate_reported(event)


def _validate_reported(event: Event) -> None:
    """Check reported attendance and joint organizers (issue 10 §3, §4)."""
    for field in ("onsite_count", "online_count"):
        value = getattr(event, field)
        if value is not None and not 0 <= value <= MAX_REPORTED_ATTENDANCE:
            raise OperationError("填报人数应在 0 到 1000000 之间", field=field)
    for field, limit in (("onsite_note", 200), ("online_note", 200), ("co_organizers", 200)):
        if len(getattr(event, field) or "") > limit:
            raise OperationError(f"最多 {limit} 字", field=field)
    if event.co_organization_id is not None:
        if db.session.get(Organization, event.co_organization_id) is None:
            raise OperationError("联合主办单位无效", field="co_organization_id")
        if event.co_organization_id == (event.organization.id if event.organization else event.organization_id):
            raise OperationError("联合主办单位不能与主办单位相同", field="co_organization_id")


def _new_code() -> str:
    while True:
        code = random_code()
        if db.session.scalar(select(Event.id).where(Event.code == code)) is None:
            return code


def create_event(
    program: Program,
    organization: Organization,
    *,
    by: User | None,
    quantities: Sequence[tuple[str, str, Number]] = (),
    **values: Any,
) -> Event:
    """Create a draft event of `organization` under `program`."""
    _check_manager(by, organization)
    data = _clean(values)
    event = Event(program=program, organization=organization, code=_new_code(), status=DRAFT,
                  created_by_id=by.id if by else None)
    for key, value in data.items():
        setattr(event, key, value)
    for field, default in (("level", "街道级"), ("kind", "其他"), ("registration_mode", REG_OFF),
                           ("qr_mode", QR_STATIC), ("target_groups", ""), ("waitlist_enabled", True),
                           ("requires_registration", False), ("checkout_enabled", False)):
        if getattr(event, field) is None:
            setattr(event, field, default)
    _validate(event)
    db.session.add(event)
    db.session.flush()
    _apply_quantities(event, quantities)
    audit(by, "event.create", event, summary=f"创建活动“{event.title}”（草稿）")
    return event


def update_event(event: Event, *, by: User | None, organization: Organization | None = None,
                 **values: Any) -> Event:
    """Change an event's editable fields; a cancelled event is frozen."""
    _check_manager(by, event.organization)
    if event.status == CANCELLED:
        raise OperationError("活动已取消，不能再修改", code="cancelled")
    before = snapshot(event, ("organization", *EDITABLE_FIELDS))
    if organization is not None and organization.id != event.organization_id:
        _check_manager(by, organization)
        event.organization = organization
    for key, value in _clean(values).items():
        setattr(event, key, value)
    _validate(event)
    changes = changes_since(before, event)
    if changes:  # saving an unchanged form is not a change
        audit(by, "event.update", event, summary=f"修改活动“{event.title}”：{field_names(changes)}", changes=changes)
    db.session.flush()
    notify_event_changed(event, changes)  # time or place: tell those registered, in this transaction
    return event


def publish_event(event: Event, *, by: User | None) -> Event:
    """Publish a draft so that workers can check in and it counts once held."""
    _check_manager(by, event.organization)
    if event.status == CANCELLED:
        raise OperationError("活动已取消，不能发布", code="cancelled")
    if event.status != PUBLISHED:
        event.status = PUBLISHED
        event.published_at = utcnow()
        audit(by, "event.publish", event, summary=f"发布活动“{event.title}”")
        db.session.flush()
    return event


def cancel_event(event: Event, *, by: User | None, reason: str = "") -> Event:
    """Cancel an event: it stops accepting check-ins and no longer counts as a session."""
    _check_manager(by, event.organization)
    if event.status == CANCELLED:
        raise OperationError("活动已经取消", code="cancelled")
    was_published = event.status == PUBLISHED
    event.status = CANCELLED
    event.cancelled_at = utcnow()
    event.cancel_reason = reason.strip()[:200]
    reason_text = f"：{event.cancel_reason}" if event.cancel_reason else ""
    audit(by, "event.cancel", event, summary=f"取消活动“{event.title}”{reason_text}")
    db.session.flush()
    notify_event_cancelled(event, was_published=was_published)
    return event


def set_quantities(event: Event, rows: Sequence[tuple[str, str, Number]], *, by: User | None) -> None:
    """Replace the counted quantities (label, unit, value) an event records."""
    _check_manager(by, event.organization)
    before = {q.label: q.value for q in event.quantities}
    _apply_quantities(event, rows)
    after = {q.label: q.value for q in event.quantities}
    if before != after:
        changes = {k: [before.get(k), after.get(k)] for k in sorted(before.keys() | after.keys())
                   if before.get(k) != after.get(k)}
        audit(by, "event.quantities", event, summary=f"修改活动“{event.title}”的数量记录", changes=changes)


def _apply_quantities(event: Event, rows: Sequence[tuple[str, str, Number]]) -> None:
    seen: set[str] = set()
    items: list[EventQuantity] = []
    for label, unit, value in rows:
        label = (label or "").strip()
        if not label:
            continue
        if label in seen:
            raise OperationError(f"“{label}”填写了两次", field="quantities")
        if value is None or not isinstance(value, int | float) or value < 0:
            raise OperationError("数量不能为负数", field="quantities")
        seen.add(label)
        existing = next((q for q in event.quantities if q.label == label), None)
        item = existing or EventQuantity(label=label)
        item.unit = (unit or "").strip()
        item.value = value  # two decimals at most (Figure): 3.2 万元
        items.append(item)
    event.quantities = items
    db.session.flush()



def set_additional_programs(event: Event, programs: Sequence[Program], *, by: User | None) -> None:
    """Replace the programs the event also counts toward besides its primary one (each counts it once)."""
    _check_manager(by, event.organization)
    chosen: list[Program] = []
    for program in programs:
        if program.id == event.program_id or program in chosen:
            continue  # the primary program already counts it; one membership per program
        if program.year != event.program.year:
            raise OperationError("只能计入同一年度的项目", field="additional_program_ids")
        chosen.append(program)
    before = sorted(p.name for p in event.additional_programs)
    event.additional_programs = chosen
    after = sorted(p.name for p in chosen)
    if before != after:
        audit(by, "event.programs", event, summary=f"修改活动“{event.title}”同时计入的项目",
              changes={"additional_programs": ["、".join(before), "、".join(after)]})
    db.session.flush()
