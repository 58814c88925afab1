"""State changes for organizations (units of the tree): create, edit, move, deactivate, reactivate.

Each takes the acting user (`by`; None is the system: CLI, seed) and writes one audit entry. There is no
delete: events, programs, users and audit entries keep pointing at a unit for as long as it exists.
"""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, literal, select, update

from eventsvc.audit.operations import changes_since, record, snapshot
from eventsvc.core.exceptions import OperationError
from eventsvc.core.timeutil import utcnow
from eventsvc.extensions import db
from eventsvc.orgs.models import (
    DEPARTMENT,
    DISTRICT,
    FEDERATION,
    KIND_LABELS,
    SUBTYPE_LABELS,
    Organization,
    User,
)

EDITABLE = ("name", "short_name", "kind", "subtype", "contact_name", "contact_phone", "sort_order")
# Landlines (0755-2888 8888) as well as mobiles: digits, spaces, dashes, a leading +, an extension.
CONTACT_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,18}[0-9](?:[转#][0-9]{1,6})?$")


def _check_admin(by: User | None, *orgs: Organization | None, message: str) -> None:
    """Let the system and administrators who reach every given unit through."""
    if by is None:
        return
    if not by.is_admin or not all(o is not None and by.reaches(o) for o in orgs):
        raise OperationError(message, code="forbidden")


def _clean_fields(kind: str, subtype: str, parent: Organization | None, *, name: str, short_name: str,
                  contact_name: str, contact_phone: str) -> dict[str, str]:
    """Validate what a unit says about itself; return the trimmed values."""
    name, short_name = name.strip(), short_name.strip()
    contact_name, contact_phone = contact_name.strip(), contact_phone.strip()
    if not name:
        raise OperationError("请填写组织名称", field="name")
    if len(name) > 100:
        raise OperationError("组织名称不能超过 100 个字", field="name")
    if len(short_name) > 40:
        raise OperationError("简称不能超过 40 个字", field="short_name")
    if kind not in KIND_LABELS:
        raise OperationError("组织类型无效", field="kind")
    if subtype and (kind != FEDERATION or subtype not in SUBTYPE_LABELS):
        raise OperationError("只有工联会可选社区、园区、楼宇或行业", field="subtype")
    _check_place(kind, parent)
    if len(contact_name) > 40:
        raise OperationError("联系人不能超过 40 个字", field="contact_name")
    if contact_phone and not CONTACT_PHONE.match(contact_phone):
        raise OperationError("联系电话格式不正确（手机号或座机号，如 0755-28888888）", field="contact_phone")
    return {"name": name, "short_name": short_name, "contact_name": contact_name, "contact_phone": contact_phone}


def _check_place(kind: str, parent: Organization | None) -> None:
    """The district is the one root; departments sit right under it (their staff see the whole district)."""
    if kind == DISTRICT and parent is not None:
        raise OperationError("区总工会只能是最上级组织", field="kind")
    if kind != DISTRICT and parent is None:
        raise OperationError("请选择上级组织", field="parent")
    if kind == DEPARTMENT and (parent is None or parent.kind != DISTRICT):
        raise OperationError("部室只能直接设在区总工会下", field="kind")
    if parent is not None and not parent.is_active:
        raise OperationError(f"上级组织“{parent.name}”已停用", field="parent")


def _check_name_free(name: str, parent: Organization | None, *, other_than: int | None = None) -> None:
    stmt = select(Organization.id).where(
        Organization.name == name, Organization.parent_id == (parent.id if parent else None)
    )
    if other_than is not None:
        stmt = stmt.where(Organization.id != other_than)
    if db.session.scalar(stmt.limit(1)) is not None:
        raise OperationError(f"“{name}”已存在", code="duplicate", field="name")


def create_organization(
    name: str,
    kind: str,
    parent: Organization | None,
    *,
    by: User | None,
    short_name: str = "",
    sort_order: int = 0,
    subtype: str = "",
    contact_name: str = "",
    contact_phone: str = "",
) -> Organization:
    """Add a node under `parent` (None only for the district root) and set its path."""
    _check_admin(by, parent, message="您无权在此处添加组织")
    values = _clean_fields(kind, subtype, parent, name=name, short_name=short_name,
                           contact_name=contact_name, contact_phone=contact_phone)
    if parent is None and db.session.scalar(select(Organization.id).where(Organization.parent_id.is_(None))):
        raise OperationError("已有区总工会，不能再添加最上级组织", field="parent")
    _check_name_free(values["name"], parent)
    org = Organization(kind=kind, parent=parent, subtype=subtype, sort_order=sort_order, **values)
    db.session.add(org)
    db.session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    db.session.flush()
    record(by, "org.create", org, summary=f"新建组织“{org.name}”（{org.kind_label}）",
           changes={f: [None, v] for f, v in snapshot(org, (*EDITABLE, "parent")).items() if v not in ("", None)})
    return org


def update_organization(org: Organization, *, by: User | None, **fields: Any) -> dict[str, list[Any]]:
    """Rename or edit a unit's own fields (not its place in the tree: see move_organization)."""
    _check_admin(by, org, message="您无权修改该组织")
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise OperationError("不能修改这些字段：" + "、".join(sorted(unknown)))
    merged = {f: getattr(org, f) for f in EDITABLE} | fields
    if merged["kind"] != org.kind and DISTRICT in (merged["kind"], org.kind):
        raise OperationError("区总工会的类型不能修改", field="kind")
    if merged["kind"] != FEDERATION:
        merged["subtype"] = ""
    values = _clean_fields(merged["kind"], merged["subtype"], org.parent, name=merged["name"],
                           short_name=merged["short_name"], contact_name=merged["contact_name"],
                           contact_phone=merged["contact_phone"])
    if merged["kind"] == DEPARTMENT and org.kind != DEPARTMENT and by is not None and not by.is_district:
        raise OperationError("您无权设置部室", code="forbidden", field="kind")
    _check_name_free(values["name"], org.parent, other_than=org.id)
    before = snapshot(org, EDITABLE)
    for field, value in (merged | values).items():
        setattr(org, field, value)
    changes = changes_since(before, org)
    if not changes:
        return {}
    db.session.flush()
    record(by, "org.update", org, summary=f"修改组织“{org.name}”", changes=changes)
    return changes


def is_descendant(org: Organization, candidate: Organization) -> bool:
    """Tell whether `candidate` is `org` itself or lies below it."""
    return candidate.path.startswith(org.path)


def move_organization(org: Organization, new_parent: Organization, *, by: User | None) -> None:
    """Put a unit (and its whole subtree) under another parent; rewrite every path below in one UPDATE.

    Scope is a path prefix, so users below the unit follow it without further changes.
    """
    _check_admin(by, org, new_parent, message="您无权移动该组织")
    if org.parent_id is None:
        raise OperationError("区总工会不能移动")
    if by is not None and org.id == by.organization_id:
        raise OperationError("不能移动您本人所在的组织")
    if is_descendant(org, new_parent):
        raise OperationError("不能移到它自己或它的下级组织之下", field="parent")
    if new_parent.id == org.parent_id:
        raise OperationError("已在该上级组织之下", field="parent")
    _check_place(org.kind, new_parent)
    _check_name_free(org.name, new_parent, other_than=org.id)
    old_parent, old_path = org.parent, org.path
    new_path = f"{new_parent.path}{org.id}/"
    org.parent = new_parent
    db.session.flush()
    db.session.execute(
        update(Organization)
        .where(Organization.path.startswith(old_path, autoescape=True))
        .values(path=literal(new_path) + func.substr(Organization.path, len(old_path) + 1))
        .execution_options(synchronize_session="fetch")
    )
    old_name = old_parent.name if old_parent else None
    record(by, "org.move", org, summary=f"将“{org.name}”从“{old_name}”移到“{new_parent.name}”",
           changes={"parent": [old_name, new_parent.name], "path": [old_path, new_path]})


def open_events_count(org: Organization) -> int:
    """Count the unit's published events that have not ended and were not cancelled."""
    from eventsvc.events.models import PUBLISHED, Event  # events sit above orgs: import at call time

    return db.session.scalar(
        select(func.count(Event.id)).where(
            Event.organization_id == org.id, Event.status == PUBLISHED, Event.ends_at > utcnow()
        )
    ) or 0


def deactivate_organization(org: Organization, *, by: User | None) -> None:
    """Hide a unit from pickers while keeping it for history; refused while it still has open events."""
    _check_admin(by, org, message="您无权停用该组织")
    if not org.is_active:
        raise OperationError("该组织已停用")
    if org.parent_id is None:
        raise OperationError("区总工会不能停用")
    if by is not None and org.id == by.organization_id:
        raise OperationError("不能停用您本人所在的组织")
    open_events = open_events_count(org)
    if open_events:
        raise OperationError(f"该组织还有 {open_events} 场已发布、尚未结束的活动，请先结束或取消后再停用",
                             code="open_events")
    active_children = db.session.scalar(
        select(func.count(Organization.id)).where(Organization.parent_id == org.id, Organization.is_active.is_(True))
    ) or 0
    if active_children:
        # A hidden unit with visible children would leave them orphaned in the pickers.
        raise OperationError(f"该组织还有 {active_children} 个启用中的下级组织，请先停用或移走", code="active_children")
    org.is_active = False
    db.session.flush()
    record(by, "org.deactivate", org, summary=f"停用组织“{org.name}”", changes={"is_active": [True, False]})


def reactivate_organization(org: Organization, *, by: User | None) -> None:
    """Show a deactivated unit in pickers again (its parent must be active)."""
    _check_admin(by, org, message="您无权启用该组织")
    if org.is_active:
        raise OperationError("该组织已在启用中")
    if org.parent is not None and not org.parent.is_active:
        raise OperationError(f"上级组织“{org.parent.name}”已停用，请先启用上级组织")
    org.is_active = True
    db.session.flush()
    record(by, "org.reactivate", org, summary=f"重新启用组织“{org.name}”", changes={"is_active": [False, True]})


def record_units_export(count: int, *, by: User | None) -> None:
    """Audit an export of the unit sheet: it carries the contacts' full phone numbers."""
    record(by, "org.export", None, object_type="organization", summary=f"导出组织架构表（{count} 个组织，含联系电话）",
           organization=by.organization if by is not None else None, changes={"count": count})
