"""`/programs/import`: paste or upload the year's work plan → preview (stored, editable) → confirm.

Also `/programs/import/aliases`: the unit alias table administrators extend.
"""
from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from eventsvc.core.exceptions import OperationError
from eventsvc.core.permissions import ADMIN, MANAGE_ROLES, roles_required
from eventsvc.extensions import db
from eventsvc.imports import plan_aliases, plan_import, queries
from eventsvc.imports.operations import PREVIEW_GONE, purge_expired_previews
from eventsvc.imports.plan_models import PlanUnitAlias
from eventsvc.imports.plan_parser import docx_text, parse_plan_text
from eventsvc.imports.views import DEFAULT_MAX_BYTES

bp = Blueprint("plan_import", __name__)

EXTENSIONS = (".docx", ".txt", ".md")
METRIC_NAMES = {"sessions": "场次", "attendances": "人次", "participants": "人数", "quantity": "数量",
                "amount": "金额", "rate": "比率", "outcome": "填报成果"}


def _max_bytes() -> int:
    return int(current_app.config.get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def _read_text() -> tuple[str, str, list[str]]:
    """(plan text, file name, warnings) from the uploaded file or else the pasted text; OperationError if neither."""
    upload = request.files.get("file")
    limit = _max_bytes()
    if upload is not None and upload.filename:
        name = upload.filename
        if not name.lower().endswith(EXTENSIONS):
            raise OperationError("不支持的文件类型，请上传 .docx、.txt 或 .md 文件", field="file")
        data = upload.stream.read(limit + 1)
        if len(data) > limit:
            raise OperationError(f"文件太大（不能超过 {limit // (1024 * 1024)} MB）", field="file")
        if name.lower().endswith(".docx"):
            try:
                text, warnings = docx_text(io.BytesIO(data))
            except ValueError as exc:
                raise OperationError(str(exc), field="file") from None
            return text, name, warnings
        try:
            return data.decode("utf-8-sig"), name, []
        except UnicodeDecodeError:
            return data.decode("gb18030", errors="replace"), name, []
    text = request.form.get("text", "")
    if not text.strip():
        raise OperationError("请粘贴工作要点的文字，或上传 .docx、.txt、.md 文件", field="text")
    if len(text.encode()) > limit:
        raise OperationError(f"文字太长（不能超过 {limit // (1024 * 1024)} MB）", field="text")
    return text, "粘贴的文字", []


def _year() -> int | None:
    raw = request.form.get("year", "").strip()
    if not raw:
        return None
    if not raw.isdecimal() or not 2000 <= int(raw) <= 2100:
        raise OperationError("年度应为 2000 到 2100 之间的四位数字", field="year")
    return int(raw)


def _context() -> plan_import.PlanContext:
    try:
        ctx = plan_import.plan_context()
        plan_import.check_may_import(ctx, current_user)
    except OperationError as exc:  # the message says who may import, instead of the generic 403 text
        abort(make_response(render_template("error.html", status=403, message=exc.message), 403))
    return ctx


@bp.route("/programs/import", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def upload_plan() -> Any:
    """The paste/upload form (GET); parse and store a preview, then show it (POST)."""
    ctx = _context()
    if request.method == "GET":
        return render_template("imports/plan_upload.html", error="", year=request.args.get("year", ""))
    try:
        text, filename, warnings = _read_text()
        plan = parse_plan_text(text, _year(), ctx.directory)
        if plan.year is None:
            raise OperationError("未能从标题识别年份，请填写年度", field="year")
        if not plan.items:
            raise OperationError("未找到编号条目（如“1.”“1．”），请检查文本格式", field="text")
        plan.warnings[:0] = warnings
        preview = plan_import.store_preview(plan_import.plan_payload(plan, ctx), ctx, by=current_user,
                                            filename=filename)
    except OperationError as exc:
        db.session.rollback()
        return render_template("imports/plan_upload.html", error=exc.message,
                               year=request.form.get("year", "")), 400
    db.session.commit()
    return redirect(url_for("plan_import.preview_plan", token=preview.token))


def _render_preview(ctx: plan_import.PlanContext, token: str, payload: dict[str, Any], error: str = "",
                    status: int = 200) -> tuple[str, int]:
    existing = plan_import.existing_programs(ctx, int(payload["year"]))
    return render_template("imports/plan_preview.html", token=token, plan=payload, existing=existing, error=error,
                           units=list(ctx.units), metric_names=METRIC_NAMES), status


@bp.route("/programs/import/<token>", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def preview_plan(token: str) -> Any:
    """Show a stored preview (GET); confirm it with the user's edits (POST): every program or none."""
    ctx = _context()
    preview = queries.find_preview(token, kind=plan_import.PLAN_KIND, object_id=ctx.owner.id, user=current_user)
    if preview is None:
        purge_expired_previews()
        db.session.commit()
        flash(PREVIEW_GONE, "warning")
        return redirect(url_for("plan_import.upload_plan"))
    if request.method == "GET":
        return _render_preview(ctx, token, preview.payload)
    payload = preview.payload
    try:
        result = plan_import.confirm_preview(preview, request.form, ctx, by=current_user)
        db.session.commit()
    except (OperationError, SQLAlchemyError) as exc:
        db.session.rollback()
        if isinstance(exc, SQLAlchemyError):
            current_app.logger.exception("plan import failed; rolled back")
        message = exc.message if isinstance(exc, OperationError) else "导入失败，没有写入任何项目，请稍后重试。"
        try:
            payload = plan_import.apply_edits(payload, request.form, ctx.directory)  # keep what was typed
        except OperationError:
            pass
        return _render_preview(ctx, token, payload, message, 400)
    flash(f"已导入 {payload['year']} 年工作要点：{result.summary}。", "success")
    for line in result.skipped_targets[:20]:
        flash(f"跳过：{line}", "warning")
    return redirect(url_for("progress_programs.list_programs", year=payload["year"]))


@bp.route("/programs/import/aliases", methods=["GET", "POST"])
@roles_required(ADMIN)
def aliases() -> Any:
    """The unit alias table: built-in aliases, those administrators added, and a form to add one."""
    ctx = _context()
    error = ""
    if request.method == "POST":
        org = ctx.units.get(request.form.get("organization", ""))
        try:
            if org is None:
                raise OperationError("请选择单位", field="organization")
            plan_aliases.add_alias(request.form.get("alias", ""), org, by=current_user)
            db.session.commit()
            flash("已添加单位别名。", "success")
            return redirect(url_for("plan_import.aliases"))
        except OperationError as exc:
            db.session.rollback()
            error = exc.message
    added = list(db.session.scalars(select(PlanUnitAlias).order_by(PlanUnitAlias.alias)))
    added_names = {row.alias for row in added}
    built_in = sorted((a, n) for a, n in ctx.directory.aliases.items() if a not in added_names)
    return render_template("imports/plan_aliases.html", added=added, built_in=built_in, units=list(ctx.units),
                           error=error), 400 if error else 200


@bp.post("/programs/import/aliases/<int:alias_id>/delete")
@roles_required(ADMIN)
def delete_alias(alias_id: int) -> Response:
    """Remove an alias an administrator added."""
    _context()
    row = db.session.get(PlanUnitAlias, alias_id)
    if row is None:
        abort(404)
    try:
        plan_aliases.delete_alias(row, by=current_user)
        db.session.commit()
        flash("已删除单位别名。", "success")
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(url_for("plan_import.aliases"))
