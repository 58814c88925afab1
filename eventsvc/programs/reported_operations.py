"""State changes for reported figures: submit (a unit for itself or its subtree), approve, reject."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from eventsvc.audit.operations import record as audit
from eventsvc.core.exceptions import OperationError
from eventsvc.core.figures import Number, fmt_figure
from eventsvc.core.permissions import acts_for
from eventsvc.core.storage import Storage, new_key
from eventsvc.core.timeutil import to_local, utcnow
from eventsvc.core.uploads import CheckedUpload
from eventsvc.extensions import db
from eventsvc.orgs.models import DEPARTMENT, DISTRICT, Organization, User
from eventsvc.programs.models import KIND_RATE, Program, Target
from eventsvc.programs.reported_models import APPROVED, PENDING, REJECTED, ReportedFigure

MAX_FIGURE = 10_000_000  # far above any unit's month; the column holds hundredths in an INTEGER


def reported_targets(program: Program) -> list[Target]:
    """Return one target per reported measure (label) of the program: the ones units enter figures for."""
    seen: dict[str, Target] = {}
    for target in program.targets:
        if target.is_reported and target.label not in seen:
            seen[target.label] = target
    return list(seen.values())


def is_above(user: User, org: Organization) -> bool:
    """Tell whether the user belongs to a unit above `org` (or to the district level) and reaches it."""
    if not user.reaches(org) or user.organization_id == org.id:
        return False
    if user.organization.kind in (DISTRICT, DEPARTMENT):
        return True
    return org.path.startswith(user.organization.path)


def can_review(user: User | None, figure: ReportedFigure) -> bool:
    """Tell whether the user may approve or reject a figure: a manager of a unit above its unit."""
    return user is not None and user.can_manage and is_above(user, figure.organization)


def _describe(figure: ReportedFigure) -> str:
    if figure.is_rate:
        return f"{fmt_figure(figure.numerator)} / {fmt_figure(figure.denominator)}"
    return f"{fmt_figure(figure.value)} {figure.unit}".strip()


def _check_numbers(kind: str, value: Number | None, numerator: Number | None, denominator: Number | None) -> None:
    if kind == KIND_RATE:
        if numerator is None or denominator is None:
            raise OperationError("比率需要填写分子和分母", field="value")
        if denominator <= 0 or numerator < 0 or numerator > denominator:
            raise OperationError("分母必须大于 0，分子在 0 到分母之间", field="value")
        if denominator > MAX_FIGURE:
            raise OperationError("数值过大", field="value")
        return
    if value is None or value < 0 or value > MAX_FIGURE:
        raise OperationError("请填写不小于 0 的数值", field="value")


def submit_figure(
    program: Program,
    organization: Organization,
    *,
    by: User | None,
    label: str,
    period: date,
    value: Number | None = None,
    numerator: Number | None = None,
    denominator: Number | None = None,
    note: str = "",
) -> ReportedFigure:
    """Enter (or correct) one unit's figure for a month; it counts once a unit above approves it.

    A figure entered by a unit above on a lower unit's behalf, or by the district for itself (no
    unit is above it), is approved as it is entered: the one entering it is the reviewer.
    """
    if by is not None and (not by.can_manage or not acts_for(by, organization)):
        raise OperationError("您只能为本单位或下属单位填报", code="forbidden")
    target = next((t for t in reported_targets(program) if t.label == label), None)
    if target is None:
        raise OperationError("该项目没有这项填报指标", field="label")
    period = period.replace(day=1)
    if period.year != program.year:
        raise OperationError(f"只能填报 {program.year} 年的月份", field="period")
    now = to_local(utcnow()) or utcnow()
    if (period.year, period.month) > (now.year, now.month):
        raise OperationError("不能填报尚未到来的月份", field="period")
    _check_numbers(target.kind, value, numerator, denominator)
    figure = db.session.scalar(select(ReportedFigure).where(
        ReportedFigure.program_id == program.id, ReportedFigure.label == label,
        ReportedFigure.organization_id == organization.id, ReportedFigure.period == period,
    ))
    if figure is not None and figure.status == APPROVED:
        raise OperationError("该月的数字已审核，不能再修改；如有错误请联系上级单位", code="approved")
    if figure is None:
        figure = ReportedFigure(program=program, label=label, organization=organization, period=period)
        db.session.add(figure)
    figure.kind, figure.unit = target.kind, target.unit
    is_rate = target.kind == KIND_RATE
    figure.value = None if is_rate else value
    figure.numerator = numerator if is_rate else None
    figure.denominator = denominator if is_rate else None
    figure.note = note.strip()[:2000]
    figure.submitted_by_id, figure.submitted_at = (by.id if by else None), utcnow()
    figure.reject_reason = ""
    self_approved = by is None or organization.parent_id is None or is_above(by, organization)
    figure.status = APPROVED if self_approved else PENDING
    figure.reviewed_by_id = by.id if (self_approved and by is not None) else None
    figure.reviewed_at = utcnow() if self_approved else None
    db.session.flush()
    audit(by, "report.submit", figure, summary=(
        f"填报“{program.name}”{label} {figure.period_label}：{_describe(figure)}（{organization.label}）"
        + ("，直接审核通过" if self_approved else "，待上级审核")))
    return figure


def attach_evidence(figure: ReportedFigure, upload: CheckedUpload, *, by: User | None,
                    storage: Storage) -> str | None:
    """Store a checked file as the figure's evidence; return the replaced blob's key, to delete after commit.

    The blob is written before the row changes (a failed transaction leaves an unreferenced blob, never a
    figure pointing at nothing). Once a unit above has approved the figure, its evidence is fixed too.
    """
    if by is not None and (not by.can_manage or not acts_for(by, figure.organization)):
        raise OperationError("您只能为本单位或下属单位上传佐证材料", code="forbidden", field="evidence")
    if figure.status == APPROVED and (by is None or figure.reviewed_by_id != by.id):
        raise OperationError("该月的数字已审核，不能再更换佐证材料", code="approved", field="evidence")
    key = new_key(f"figures/{figure.program_id}", upload.suffix)
    storage.put(key, upload.data, upload.content_type)
    old_key, old_name = figure.evidence_key, figure.evidence_name
    figure.evidence_key, figure.evidence_name = key, upload.original_name[:120]
    figure.evidence_type, figure.evidence_size = upload.content_type, upload.size
    db.session.flush()
    audit(by, "report.evidence", figure, summary=(
        f"为“{figure.program.name}”{figure.label} {figure.period_label}（{figure.organization.label}）"
        f"上传佐证材料“{figure.evidence_name}”" + (f"，替换“{old_name}”" if old_key else "")),
        changes={"evidence": [old_name or None, figure.evidence_name], "size": [None, upload.size]})
    return old_key


def approve_figure(figure: ReportedFigure, *, by: User | None) -> ReportedFigure:
    """Approve a pending figure so that it counts."""
    if by is not None and not can_review(by, figure):
        raise OperationError("只有上级单位可以审核本单位的填报", code="forbidden")
    if figure.status != PENDING:
        raise OperationError("只能审核待审核的填报", code="state")
    figure.status, figure.reviewed_by_id, figure.reviewed_at = APPROVED, (by.id if by else None), utcnow()
    db.session.flush()
    audit(by, "report.approve", figure, summary=(
        f"审核通过“{figure.program.name}”{figure.label} {figure.period_label}：{_describe(figure)}"
        f"（{figure.organization.label}）"))
    return figure


def reject_figure(figure: ReportedFigure, *, by: User | None, reason: str) -> ReportedFigure:
    """Send a pending figure back to its unit with a reason; it does not count."""
    if by is not None and not can_review(by, figure):
        raise OperationError("只有上级单位可以审核本单位的填报", code="forbidden")
    if figure.status != PENDING:
        raise OperationError("只能退回待审核的填报", code="state")
    reason = reason.strip()
    if not reason:
        raise OperationError("请填写退回原因", field="reason")
    figure.status, figure.reject_reason = REJECTED, reason[:200]
    figure.reviewed_by_id, figure.reviewed_at = (by.id if by else None), utcnow()
    db.session.flush()
    audit(by, "report.reject", figure, summary=(
        f"退回“{figure.program.name}”{figure.label} {figure.period_label}（{figure.organization.label}）："
        f"{reason[:200]}"))
    return figure
