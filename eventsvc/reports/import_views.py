"""Importing paper sign-in sheets: upload, preview (nothing written), confirm (one transaction)."""
from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from eventsvc.core.exceptions import OperationError
from eventsvc.core.permissions import MANAGE_ROLES, roles_required
from eventsvc.core.timeutil import utcnow
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.reports import queries
from eventsvc.reports.import_store import delete_preview, load_preview, save_preview
from eventsvc.reports.operations import check_can_import, import_check_ins
from eventsvc.reports.views import bp, load_event
from eventsvc.reports.xlsx_import import (
    DUPLICATE,
    INVALID,
    NEW,
    ImportFileError,
    ImportRow,
    classify,
    parse_sheet,
    rows_from_json,
    rows_to_json,
)

DEFAULT_MAX_BYTES = 5 * 1024 * 1024


def _event_page(event: Event) -> str:
    """Return the event's staff page, or the import page while that page does not exist."""
    try:
        return url_for("checkin.event_page", event_id=event.id)
    except BuildError:
        return url_for("reports.import_checkins", event_id=event.id)


def _classified(event: Event, stored: list[dict[str, Any]]) -> list[ImportRow]:
    """Classify stored rows against the check-ins as they are now (duplicates may have changed)."""
    return classify(rows_from_json(stored), existing_phones=queries.checked_in_phones(event.id),
                    starts_at=event.starts_at, ends_at=event.ends_at)


def _form(event: Event, error: str = "", status: int = 200) -> tuple[str, int]:
    blocked = ""
    try:
        check_can_import(event, current_user)
    except OperationError as exc:
        blocked = exc.message
    return render_template("reports/import.html", event=event, error=error, blocked=blocked, rows=None,
                           max_mb=_max_bytes() // (1024 * 1024)), status


def _max_bytes() -> int:
    return int(current_app.config.get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def _read_upload() -> bytes:
    """Return the uploaded file's bytes, refusing missing, oversized or non-xlsx uploads."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ImportFileError("请选择要上传的 Excel 文件（.xlsx）。", field="file")
    if not upload.filename.lower().endswith(".xlsx"):
        raise ImportFileError("只支持 .xlsx 格式的 Excel 文件；.xls 或 .csv 请在 Excel 中“另存为 .xlsx”后再上传。",
                              code="not_xlsx", field="file")
    limit = _max_bytes()
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise ImportFileError(f"文件太大（不能超过 {limit // (1024 * 1024)} MB），请删去多余内容后重新上传。",
                              code="too_large", field="file")
    return data


@bp.route("/events/<int:event_id>/import", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def import_checkins(event_id: int) -> Any:
    """Show the upload form (GET) or the preview of an uploaded sheet (POST); nothing is written yet."""
    event = load_event(event_id)
    if request.method == "GET":
        return _form(event)
    try:
        check_can_import(event, current_user)
        raw = parse_sheet(_read_upload())
    except OperationError as exc:
        return _form(event, exc.message, 400)
    token = save_preview({
        "event_id": event.id, "user_id": current_user.id, "created_at": utcnow().isoformat(),
        "filename": request.files["file"].filename, "rows": rows_to_json(raw),
    })
    rows = _classified(event, rows_to_json(raw))
    return render_template("reports/import.html", event=event, rows=rows, token=token, error="", blocked="",
                           counts=_counts(rows), filename=request.files["file"].filename)


def _counts(rows: list[ImportRow]) -> dict[str, int]:
    return {status: sum(1 for r in rows if r.status == status) for status in (NEW, DUPLICATE, INVALID)}


@bp.post("/events/<int:event_id>/import/confirm")
@roles_required(*MANAGE_ROLES)
def confirm_import(event_id: int) -> Response:
    """Write the preview's valid rows as check-ins in one transaction: all of them or none."""
    event = load_event(event_id)
    token = request.form.get("token", "")
    stored = load_preview(token)
    if stored is None or stored.get("event_id") != event.id or stored.get("user_id") != current_user.id:
        flash("导入预览已失效，请重新上传文件。", "warning")
        return redirect(url_for("reports.import_checkins", event_id=event.id))
    rows = _classified(event, stored["rows"])
    try:
        added = import_check_ins(event, rows, by=current_user)
        db.session.commit()
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("reports.import_checkins", event_id=event.id))
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("import of check-ins failed; rolled back")
        flash("导入失败，没有写入任何记录，请稍后重试。", "error")
        return redirect(url_for("reports.import_checkins", event_id=event.id))
    delete_preview(token)
    counts = _counts(rows)
    skipped = counts[DUPLICATE] + counts[INVALID]
    flash(f"已导入 {added} 条签到记录" + (f"，跳过 {skipped} 行（重复或有误）。" if skipped else "。"), "success")
    return redirect(_event_page(event))
