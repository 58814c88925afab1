"""Counting rules for reported figures (填报), as grouped queries.

- A figure counts once approved; pending ones are summed apart so pages can show 待审核.
- Amounts and outcomes are flows: a unit's months add up.
- A rate is a stock: each unit's latest approved month counts, and the rate of a set of units is
  Σ numerators / Σ denominators (weighted by each unit's size, never an average of percentages).
- Each unit reports for itself; a street's figures roll up to the district like its events do.

Two queries per call, whatever the number of programs, units or months.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import aliased

from eventsvc.core.built import built, given, ids, param
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization
from eventsvc.programs.models import KIND_RATE
from eventsvc.programs.reported_models import APPROVED, PENDING, ReportedFigure
from eventsvc.progress.totals import Totals

RF = ReportedFigure
Months = tuple[date, date] | None  # first days of the first and last month of a period report


def _latest_rates(with_programs: bool, with_months: bool) -> Any:
    """Each unit's latest approved month per rate (program, label, organization), up to the period's end."""
    stmt = select(RF.program_id, RF.label, RF.organization_id, func.max(RF.period).label("period")).where(
        RF.status == APPROVED, RF.kind == KIND_RATE
    )
    if with_months:
        stmt = stmt.where(RF.period >= param("first_month", RF.period), RF.period <= param("last_month", RF.period))
    if with_programs:
        stmt = stmt.where(RF.program_id.in_(ids("program_ids")))
    return stmt.group_by(RF.program_id, RF.label, RF.organization_id).subquery("latest_rate")


def _rate_rows(keys: Sequence[Any], with_programs: bool, with_months: bool) -> Select[Any]:
    latest = _latest_rates(with_programs, with_months)
    return select(*keys, RF.label, func.sum(RF.numerator), func.sum(RF.denominator)).select_from(RF).join(
        latest,
        and_(latest.c.program_id == RF.program_id, latest.c.label == RF.label,
             latest.c.organization_id == RF.organization_id, latest.c.period == RF.period),
    ).where(RF.status == APPROVED, RF.kind == KIND_RATE)


def _flow_rows(keys: Sequence[Any], with_programs: bool, with_months: bool) -> Select[Any]:
    stmt = select(*keys, RF.label, RF.status, func.sum(RF.value), func.count(RF.id)).select_from(RF).where(
        RF.status.in_((APPROVED, PENDING))
    )
    if with_months:  # a period report: only the months it covers
        stmt = stmt.where(RF.period >= param("first_month", RF.period), RF.period <= param("last_month", RF.period))
    if with_programs:
        stmt = stmt.where(RF.program_id.in_(ids("program_ids")))
    return stmt


def _params(program_ids: Sequence[int] | None, months: Months, **more: Any) -> dict[str, Any]:
    """The values of the kept statements' parameters."""
    first, last = months if months is not None else (None, None)
    return given(program_ids=None if program_ids is None else list(program_ids), first_month=first,
                 last_month=last, **more)


def _merge(totals: Totals, label: str, status: str, value: Any, count: int) -> None:
    if status == APPROVED:
        if value is not None:
            totals.reported[label] = value
    else:
        totals.pending[label] = value or 0
        totals.pending_count[label] = count


def add_reported_by_program(result: Mapping[int, Totals], program_ids: Sequence[int], *, scope_path: str = "",
                            months: Months = None) -> None:
    """Add approved and pending figures per program, from units within `scope_path` (empty: all)."""
    if not program_ids:
        return
    shape = (bool(scope_path), months is not None)

    def scoped(stmt: Select[Any]) -> Select[Any]:
        org = aliased(Organization)
        stmt = stmt.join(org, org.id == RF.organization_id)
        return stmt.where(org.path.startswith(param("scope_path", org.path))) if scope_path else stmt

    params = _params(program_ids, months, scope_path=scope_path)
    flows = built(("reported_flows_by_program", *shape), lambda: scoped(
        _flow_rows([RF.program_id], True, months is not None)).group_by(RF.program_id, RF.label, RF.status))
    for pid, label, status, value, count in db.session.execute(flows, params):
        _merge(result[pid], label, status, value, count)
    rates = built(("reported_rates_by_program", *shape), lambda: scoped(
        _rate_rows([RF.program_id], True, months is not None)).group_by(RF.program_id, RF.label))
    for pid, label, num, den in db.session.execute(rates, params):
        result[pid].rates[label] = (num or 0, den or 0)


def add_reported_by_subtree(
    result: dict[Any, Totals], org_ids: Sequence[int], program_ids: Sequence[int] | None, *, by_program: bool,
    months: Months = None,
) -> None:
    """Add figures for each organization's whole subtree; keys as in totals_by_subtree."""
    width = 2 if by_program else 1
    shape = (by_program, program_ids is not None, months is not None)

    def rolled_up(rows: Callable[[Sequence[Any], bool, bool], Select[Any]], *extra_keys: Any) -> Select[Any]:
        reporter, ancestor = aliased(Organization), aliased(Organization)
        keys = [ancestor.id, RF.program_id] if by_program else [ancestor.id]
        stmt = rows(keys, program_ids is not None, months is not None)
        return (stmt.join(reporter, reporter.id == RF.organization_id)
                .join(ancestor, reporter.path.startswith(ancestor.path))
                .where(ancestor.id.in_(ids("org_ids"))).group_by(*keys, RF.label, *extra_keys))

    def key(row: Sequence[Any]) -> Any:
        return (row[0], row[1]) if by_program else row[0]

    params = _params(program_ids, months, org_ids=list(org_ids))
    flows = built(("reported_flows_by_subtree", *shape), lambda: rolled_up(_flow_rows, RF.status))
    for row in db.session.execute(flows, params):
        _merge(result[key(row)], row[width], row[width + 1], row[width + 2], row[width + 3])
    rates = built(("reported_rates_by_subtree", *shape), lambda: rolled_up(_rate_rows))
    for row in db.session.execute(rates, params):
        result[key(row)].rates[row[width]] = (row[width + 1] or 0, row[width + 2] or 0)
