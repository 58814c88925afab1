"""State changes of the plan's unit alias table (权益部 = 权益保障部): administrators extend it."""
from __future__ import annotations

import re

from sqlalchemy import select

from eventsvc.audit.operations import record as audit
from eventsvc.core.exceptions import OperationError
from eventsvc.extensions import db
from eventsvc.imports.plan_models import PlanUnitAlias
from eventsvc.orgs.models import Organization, User


def _check_admin(by: User | None) -> None:
    if by is not None and not (by.is_admin and by.is_district):
        raise OperationError("只有区总工会管理员可以维护单位别名", code="forbidden")


def add_alias(alias: str, organization: Organization, *, by: User | None) -> PlanUnitAlias:
    """Make `alias` stand for `organization` when a plan names it; an existing alias is pointed anew."""
    _check_admin(by)
    alias = re.sub(r"\s+", "", alias)
    if not 2 <= len(alias) <= 60:
        raise OperationError("别名应为 2 到 60 个字", field="alias")
    if alias == organization.name:
        raise OperationError("别名与单位全称相同，无需添加", field="alias")
    row = db.session.scalar(select(PlanUnitAlias).where(PlanUnitAlias.alias == alias))
    if row is None:
        row = PlanUnitAlias(alias=alias, organization=organization)
        db.session.add(row)
    else:
        row.organization = organization
    db.session.flush()
    audit(by, "plan.alias_add", row, organization=organization,
          summary=f"工作要点单位别名：“{alias}” = {organization.name}")
    return row


def delete_alias(row: PlanUnitAlias, *, by: User | None) -> None:
    """Remove an alias administrators added (the built-in ones stay)."""
    _check_admin(by)
    audit(by, "plan.alias_delete", row, organization=row.organization,
          summary=f"删除工作要点单位别名“{row.alias}”（{row.organization.name}）")
    db.session.delete(row)
    db.session.flush()
