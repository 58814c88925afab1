"""/programs/<id>/reports: units enter monthly figures for reported targets; units above review them."""
from __future__ import annotations

from datetime import date
from functools import partial
from typing import BinaryIO, cast

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from eventsvc.core.exceptions import OperationError
from eventsvc.core.figures import parse_figure
from eventsvc.core.inputs import parse_id
from eventsvc.core.permissions import MANAGE_ROLES, require, roles_required, staff_required
from eventsvc.core.scope import get_in_scope_or_404
from eventsvc.core.storage import StorageError, get_storage, send_stored
from eventsvc.core.uploads import MB, CheckedUpload, UploadLimits, UploadRejected, check_upload
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization, User
from eventsvc.orgs.queries import managed_org_choices
from eventsvc.programs.models import Program
from eventsvc.programs.queries import can_see_program
from eventsvc.programs.reported_models import PENDING, REPORT_STATUS_LABELS, ReportedFigure
from eventsvc.programs.reported_operations import (
    approve_figure,
    attach_evidence,
    can_review,
    reject_figure,
    reported_targets,
    submit_figure,
)

bp = Blueprint("programs_reported", __name__)
SUBMIT_ENDPOINT = "programs_reported.submit_report"


def _raise_upload_limit() -> None:
    # MAX_CONTENT_LENGTH (8 MB) suits the other forms; an evidence file may be as large as an event's photo or
    # document. The body is parsed by the app's input checks first, so the limit is raised before them.
    if request.endpoint == SUBMIT_ENDPOINT:
        limits = UploadLimits.from_config(current_app.config)
        request.max_content_length = max(limits.max_photo_bytes, limits.max_document_bytes) + MB


@bp.record_once
def _install_upload_limit(state: BlueprintSetupState) -> None:
    state.app.before_request_funcs.setdefault(None, []).insert(0, _raise_upload_limit)


def _user() -> User:
    user: User = current_user._get_current_object()
    return user


def _program(program_id: int) -> Program:
    user = _user()
    return get_in_scope_or_404(Program, program_id, user, visible=partial(can_see_program, user))


def _figures(program: Program, user: User) -> list[ReportedFigure]:
    """Return the program's figures from units within the user's scope, newest month first."""
    stmt = (
        select(ReportedFigure).join(ReportedFigure.organization)
        .where(ReportedFigure.program_id == program.id)
        .options(joinedload(ReportedFigure.organization), joinedload(ReportedFigure.submitted_by))
        .order_by(ReportedFigure.period.desc(), Organization.path, ReportedFigure.label)
    )
    if user.scope_path:
        stmt = stmt.where(Organization.path.startswith(user.scope_path))
    return list(db.session.scalars(stmt))


def _month(raw: str) -> date | None:
    try:
        year, month = (int(x) for x in raw.split("-", 1))
        return date(year, month, 1)
    except ValueError:
        return None


def _render(program: Program, *, errors: list[str] | None = None, status: int = 200) -> tuple[str, int]:
    user = _user()
    figures = _figures(program, user)
    limits = UploadLimits.from_config(current_app.config)
    return render_template(
        "programs/reports.html", program=program, targets=reported_targets(program), figures=figures,
        units=managed_org_choices(user) if user.can_manage else [], reviewable={f.id for f in figures
                                                                               if can_review(user, f)},
        statuses=REPORT_STATUS_LABELS, pending=PENDING, errors=errors or [], form=request.form,
        max_evidence_bytes=max(limits.max_photo_bytes, limits.max_document_bytes),
    ), status


@bp.route("/programs/<int:program_id>/reports")
@staff_required
def list_reports(program_id: int) -> ResponseReturnValue:
    """Show the program's reported figures in scope, the entry form and the review buttons."""
    return _render(_program(program_id))


@bp.route("/programs/<int:program_id>/reports", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def submit_report(program_id: int) -> ResponseReturnValue:
    """Enter or correct one unit's figure for a month."""
    program = _program(program_id)
    form = request.form
    errors: list[str] = []
    org_raw = form.get("organization_id", "")
    org_id = parse_id(org_raw)
    organization = db.session.get(Organization, org_id) if org_id is not None else None
    if organization is None or not _user().reaches(organization):
        errors.append("请选择填报单位")
    period = _month(form.get("period", ""))
    if period is None:
        errors.append("请选择填报月份")
    numbers = {name: parse_figure(form.get(name, "")) if form.get(name, "").strip() else None
               for name in ("value", "numerator", "denominator")}
    if any(form.get(n, "").strip() and numbers[n] is None for n in numbers):
        errors.append("数值请填写数字")
    evidence = _evidence_upload(errors)
    if not errors and organization is not None and period is not None:
        replaced: str | None = None
        try:
            figure = submit_figure(program, organization, by=_user(), label=form.get("label", ""), period=period,
                                   note=form.get("note", "")[:2000], **numbers)
            if evidence is not None:
                replaced = attach_evidence(figure, evidence, by=_user(), storage=get_storage())
        except OperationError as exc:
            db.session.rollback()
            errors.append(exc.message)
        except StorageError:
            db.session.rollback()
            current_app.logger.exception("figure evidence: storage failed")
            errors.append("佐证材料保存失败，请稍后重试；如果一直失败，请联系管理员。")
        else:
            db.session.commit()
            _delete_blob(replaced)
            flash(f"已提交 {figure.organization.label} {figure.period_label}的“{figure.label}”"
                  f"（{figure.status_label}）。", "success")
            return redirect(url_for("programs_reported.list_reports", program_id=program.id))
    return _render(program, errors=errors, status=400)


def _evidence_upload(errors: list[str]) -> CheckedUpload | None:
    """Check the optional evidence file by its content; a refusal joins the form's errors."""
    file = request.files.get("evidence")
    if file is None or not (file.filename or file.content_length):
        return None
    try:
        return check_upload(cast(BinaryIO, file.stream), file.filename,
                            UploadLimits.from_config(current_app.config))
    except UploadRejected as exc:
        errors.append(f"佐证材料：{exc.message}")
        return None


def _delete_blob(key: str | None) -> None:
    # Only after the commit: the replaced file is no longer referenced; a leftover blob is harmless.
    if key:
        try:
            get_storage().delete(key)
        except StorageError:
            current_app.logger.exception("figure evidence: blob %s not removed", key)


def _figure(program_id: int, figure_id: int) -> ReportedFigure:
    program = _program(program_id)
    figure = get_in_scope_or_404(ReportedFigure, figure_id, _user())
    require(figure.program_id == program.id)
    return figure


@bp.route("/programs/<int:program_id>/reports/<int:figure_id>/approve", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def approve_report(program_id: int, figure_id: int) -> ResponseReturnValue:
    """Approve a pending figure (a unit above the reporting unit)."""
    figure = _figure(program_id, figure_id)
    require(can_review(_user(), figure), 403)
    try:
        approve_figure(figure, by=_user())
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(f"已审核通过 {figure.organization.label} {figure.period_label}的“{figure.label}”。", "success")
    return redirect(url_for("programs_reported.list_reports", program_id=program_id))


@bp.route("/programs/<int:program_id>/reports/<int:figure_id>/reject", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def reject_report(program_id: int, figure_id: int) -> ResponseReturnValue:
    """Send a pending figure back with a reason."""
    figure = _figure(program_id, figure_id)
    require(can_review(_user(), figure), 403)
    try:
        reject_figure(figure, by=_user(), reason=request.form.get("reason", "")[:200])
    except OperationError as exc:
        db.session.rollback()
        return _render(figure.program, errors=[exc.message], status=400)
    db.session.commit()
    flash(f"已退回 {figure.organization.label} {figure.period_label}的“{figure.label}”。", "success")
    return redirect(url_for("programs_reported.list_reports", program_id=program_id))


@bp.route("/programs/<int:program_id>/reports/<int:figure_id>/evidence")
@staff_required
def figure_evidence(program_id: int, figure_id: int) -> ResponseReturnValue:
    """Send a figure's evidence file to a user whose scope reaches its unit: photos inline, documents as downloads."""
    figure = _figure(program_id, figure_id)
    require(figure.evidence_key is not None)
    download = not figure.evidence_is_photo or request.args.get("download") == "1"
    return send_stored(figure.evidence_key or "", content_type=figure.evidence_type or "application/octet-stream",
                       download_name=figure.evidence_name or f"evidence-{figure.id}", as_attachment=download)
