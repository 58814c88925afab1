"""Import pages: upload → preview (stored, nothing else written) → confirm (one transaction)."""
from __future__ import annotations

from typing import Any, TypeVar

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from eventsvc.core.exceptions import OperationError
from eventsvc.core.permissions import MANAGE_ROLES, roles_required
from eventsvc.core.scope import get_in_scope_or_404
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.imports import operations, queries
from eventsvc.imports.kinds import ImportKind
from eventsvc.imports.roster import ROSTER
from eventsvc.imports.xlsx import NOT_XLSX, ImportFileError
from eventsvc.orgs.models import User

bp = Blueprint("imports", __name__)

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
T = TypeVar("T")


def _max_bytes() -> int:
    return int(current_app.config.get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def _read_upload() -> tuple[bytes, str]:
    """Return the uploaded file's bytes and name, refusing missing, oversized or non-xlsx uploads."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ImportFileError("请选择要上传的 Excel 文件（.xlsx）。", field="file")
    if not upload.filename.lower().endswith(".xlsx"):
        raise ImportFileError(NOT_XLSX, code="not_xlsx", field="file")
    limit = _max_bytes()
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise ImportFileError(f"文件太大（不能超过 {limit // (1024 * 1024)} MB），请删去多余内容后重新上传。",
                              code="too_large", field="file")
    return data, upload.filename


def _upload_form(event: Event, error: str = "", status: int = 200) -> tuple[str, int]:
    blocked = ""
    try:
        ROSTER.check_allowed(event, current_user)
    except OperationError as exc:
        blocked = exc.message
    return render_template("imports/checkins.html", event=event, error=error, blocked=blocked, preview=None,
                           max_mb=_max_bytes() // (1024 * 1024)), status


@bp.route("/events/<int:event_id>/import", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def import_checkins(event_id: int) -> Any:
    """Show the upload form (GET) or store and show the preview of an uploaded sheet (POST)."""
    event = get_in_scope_or_404(Event, event_id, current_user)
    if request.method == "GET":
        return _upload_form(event)
    try:
        ROSTER.check_allowed(event, current_user)
        data, filename = _read_upload()
        preview = operations.preview_import(ROSTER, event, event.id, data, by=current_user, filename=filename)
    except OperationError as exc:
        db.session.rollback()
        return _upload_form(event, exc.message, 400)
    db.session.commit()
    return render_template("imports/checkins.html", event=event, preview=preview, error="", blocked="")


@bp.post("/events/<int:event_id>/import/confirm")
@roles_required(*MANAGE_ROLES)
def confirm_checkins(event_id: int) -> Response:
    """Write the preview's new rows as check-ins in one transaction: all of them or none."""
    event = get_in_scope_or_404(Event, event_id, current_user)
    again = url_for("imports.import_checkins", event_id=event.id)
    done = confirm_preview(ROSTER, event, event.id, by=current_user, again=again, what="check-ins",
                           failed="导入失败，没有写入任何记录，请稍后重试。", purge_when_gone=True)
    if isinstance(done, Response):
        return done
    skipped = f"，跳过 {done.skipped} 行（重复或有误）。" if done.skipped else "。"
    flash(f"已导入 {done.added} 条签到记录{skipped}", "success")
    return redirect(url_for("checkin_staff.event_page", event_id=event.id))


def confirm_preview(kind: ImportKind[T], target: T, object_id: int, *, by: User, again: str, what: str,
                    failed: str, purge_when_gone: bool = False) -> operations.Confirmed | Response:
    """Confirm the posted preview token in one transaction (also for the admin sheets in orgs/admin/sheets.py);
    on a gone preview, a refusal or a failure, flash why and answer the redirect to `again`."""
    record = queries.find_preview(request.form.get("token", ""), kind=kind.name, object_id=object_id, user=by)
    if record is None:
        if purge_when_gone:
            operations.purge_expired_previews()
            db.session.commit()
        flash(operations.PREVIEW_GONE, "warning")
        return redirect(again)
    try:
        done = operations.confirm_import(kind, target, object_id, record, by=by)
        db.session.commit()
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(again)
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("import of %s failed; rolled back", what)
        flash(failed, "error")
        return redirect(again)
    return done
