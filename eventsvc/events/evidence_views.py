"""Evidence pages of one event: photos and documents (upload, cover, caption, delete, scoped serving), 活动总结."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, BinaryIO, cast

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from eventsvc.core.exceptions import OperationError
from eventsvc.core.permissions import MANAGE_ROLES, can_manage_org, require, roles_required, staff_required, wants_json
from eventsvc.core.scope import get_in_scope_or_404
from eventsvc.core.storage import StorageError, get_storage
from eventsvc.core.uploads import MB, CheckedUpload, UploadLimits, UploadRejected, check_upload
from eventsvc.events import evidence_operations as evidence
from eventsvc.events import operations as event_ops
from eventsvc.events.evidence_forms import ConfirmForm, SummaryForm, summary_form_data
from eventsvc.events.evidence_models import EventAttachment
from eventsvc.events.evidence_pages import (
    commit_or_flash,
    confirm_delete,
    save_caption,
    send_attachment,
    send_thumbnail,
)
from eventsvc.events.evidence_queries import attachment_count, event_documents, event_photos, summary_text
from eventsvc.events.models import CANCELLED, Event
from eventsvc.extensions import db
from eventsvc.orgs.models import User

bp = Blueprint("evidence", __name__)

MAX_FILES_PER_POST = 10  # the page's script sends one file per request; a form without script sends several
# The upload views (events', and stations' in stations/evidence_views.py) take bigger bodies than other forms.
UPLOAD_ENDPOINTS = frozenset({"evidence.upload_files", "station_evidence.upload_files"})
CARD_PHOTOS = 6


def _raise_upload_limit() -> None:
    # MAX_CONTENT_LENGTH (8 MB) suits every other form; photos and documents may be 20 MB each. The body is
    # first parsed by the app's input checks, so the limit must be raised before them, only for this view.
    if request.endpoint in UPLOAD_ENDPOINTS:
        limits = UploadLimits.from_config(current_app.config)
        request.max_content_length = MAX_FILES_PER_POST * max(limits.max_photo_bytes, limits.max_document_bytes) + MB


@bp.record_once
def _install_upload_limit(state: BlueprintSetupState) -> None:
    state.app.before_request_funcs.setdefault(None, []).insert(0, _raise_upload_limit)


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _event(event_id: int, *, manage: bool = False) -> Event:
    """Load an event in read scope (404 otherwise); with manage, 403 unless the user may change it."""
    event = get_in_scope_or_404(Event, event_id, _user())
    if manage:
        require(can_manage_org(_user(), event.organization), 403)
    return event


def _attachment(event_id: int, attachment_id: int, *, manage: bool = False) -> EventAttachment:
    event = _event(event_id, manage=manage)
    item = db.session.get(EventAttachment, attachment_id)
    require(item is not None and item.event_id == event.id)
    assert item is not None
    return item


@bp.app_template_global()
def evidence_overview(event: Event) -> dict[str, Any]:
    """Give the event page's evidence card its photos, counts and summary (the page's view stays unchanged)."""
    photos = event_photos(event, CARD_PHOTOS)
    return {"photos": photos, "count": attachment_count(event), "summary": summary_text(event),
            "can_manage": can_manage_org(_user(), event.organization)}


@bp.route("/events/<int:event_id>/evidence")
@staff_required
def show_evidence(event_id: int) -> ResponseReturnValue:
    """Show an event's photos, documents and 活动总结, with the upload form for its managers."""
    event = _event(event_id)
    limits = UploadLimits.from_config(current_app.config)
    return render_template(
        "events/evidence.html", event=event, photos=event_photos(event), documents=event_documents(event),
        summary=summary_text(event), can_manage=can_manage_org(_user(), event.organization), limits=limits,
        max_files=MAX_FILES_PER_POST, confirm=ConfirmForm(),
    )


def _upload_answer(event: Event, saved: list[EventAttachment], errors: list[dict[str, str]]) -> ResponseReturnValue:
    return upload_answer(saved, errors, url_for("evidence.show_evidence", event_id=event.id))


def upload_answer(saved: list[EventAttachment], errors: list[dict[str, str]], back: str) -> ResponseReturnValue:
    """Answer an upload: JSON to the page's script, else flash messages and go back to `back`."""
    if wants_json() or request.headers.get("X-Requested-With") == "XMLHttpRequest":
        status = 200 if saved or not errors else 400
        items = [{"id": a.id, "name": a.original_name, "kind": a.kind} for a in saved]
        return jsonify(ok=bool(saved) or not errors, items=items, errors=errors,
                       error="；".join(e["message"] for e in errors)), status
    if saved:
        flash(f"已上传 {len(saved)} 个文件。", "success")
    for error in errors:
        flash(f"“{error['name']}”未上传：{error['message']}", "error")
    return redirect(back)


@bp.route("/events/<int:event_id>/evidence", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def upload_files(event_id: int) -> ResponseReturnValue:
    """Check each uploaded file by its content, store it and attach it; answer JSON to the page's script."""
    event = _event(event_id, manage=True)
    storage = get_storage()
    saved, errors = save_uploads(lambda upload: evidence.add_attachment(
        event, upload, by=_user(), storage=storage, caption=request.form.get("caption", "")))
    db.session.commit()
    return _upload_answer(event, saved, errors)


def save_uploads(attach: Callable[[CheckedUpload], EventAttachment]
                 ) -> tuple[list[EventAttachment], list[dict[str, str]]]:
    """Check each posted file ("files") by its content and hand it to `attach`; collect what failed, per file."""
    files = [f for f in request.files.getlist("files") if f and (f.filename or f.content_length)]
    if not files:
        return [], [{"name": "", "message": "请选择要上传的照片或文件。"}]
    if len(files) > MAX_FILES_PER_POST:
        return [], [{"name": "", "message": f"一次最多上传 {MAX_FILES_PER_POST} 个文件。"}]
    limits = UploadLimits.from_config(current_app.config)
    saved: list[EventAttachment] = []
    errors: list[dict[str, str]] = []
    for file in files:
        name = (file.filename or "")[-120:]
        try:
            saved.append(attach(check_upload(cast(BinaryIO, file.stream), file.filename, limits)))
        except (UploadRejected, OperationError) as exc:
            errors.append({"name": name, "message": exc.message})
        except StorageError:
            current_app.logger.exception("evidence upload: storage failed")
            errors.append({"name": name, "message": "文件保存失败，请稍后重试；如果一直失败，请联系管理员。"})
    return saved, errors


@bp.route("/events/<int:event_id>/evidence/<int:attachment_id>")
@staff_required
def attachment_file(event_id: int, attachment_id: int) -> Response:
    """Send a file to a user whose scope covers the event: photos inline, documents as downloads."""
    return send_attachment(_attachment(event_id, attachment_id))


@bp.route("/events/<int:event_id>/evidence/<int:attachment_id>/thumb")
@staff_required
def attachment_thumb(event_id: int, attachment_id: int) -> Response:
    """Send a photo's thumbnail (same scope rule as the file)."""
    return send_thumbnail(_attachment(event_id, attachment_id))


def _back_url(event_id: int) -> str:
    return url_for("evidence.show_evidence", event_id=event_id) + "#photos"


@bp.route("/events/<int:event_id>/evidence/<int:attachment_id>/cover", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def set_cover(event_id: int, attachment_id: int) -> Response:
    """Make a photo the event's cover."""
    item = _attachment(event_id, attachment_id, manage=True)
    commit_or_flash(lambda: evidence.set_cover(item, by=_user()), "已设为封面照片。")
    return redirect(_back_url(event_id))


@bp.route("/events/<int:event_id>/evidence/<int:attachment_id>/caption", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def set_caption(event_id: int, attachment_id: int) -> Response:
    """Change a file's caption."""
    item = _attachment(event_id, attachment_id, manage=True)
    return save_caption(item, lambda it, caption: evidence.set_caption(it, caption, by=_user()),
                        _back_url(event_id))


@bp.route("/events/<int:event_id>/evidence/<int:attachment_id>/delete", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def delete_attachment(event_id: int, attachment_id: int) -> ResponseReturnValue:
    """Confirm, then delete a file (its blobs go once the deletion is committed)."""
    item = _attachment(event_id, attachment_id, manage=True)
    return confirm_delete(item, lambda it: evidence.delete_attachment(it, by=_user()), _back_url(event_id),
                          "events/evidence_delete.html", event=item.event)


@bp.route("/events/<int:event_id>/summary", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def edit_summary(event_id: int) -> ResponseReturnValue:
    """Write the 活动总结 and the reported figures (现场人数, 线上人次, quantities) on one form."""
    event = _event(event_id, manage=True)
    if event.status == CANCELLED:
        flash("活动已取消，不能再填写活动总结。", "warning")
        return redirect(url_for("evidence.show_evidence", event_id=event.id))
    form = SummaryForm(data=summary_form_data(event, summary_text(event)))
    if form.validate_on_submit():
        try:
            evidence.save_summary(event, form.text.data or "", by=_user())
            event_ops.update_event(event, by=_user(), **form.figure_values())
            event_ops.set_quantities(event, form.quantity_rows(), by=_user())
        except OperationError as exc:
            db.session.rollback()
            target = getattr(form, exc.field or "", None)
            if exc.field == "quantities":
                form.quantity_errors.append(exc.message)
            elif target is not None and isinstance(getattr(target, "errors", None), list):
                target.errors.append(exc.message)
            else:
                flash(exc.message, "error")
        else:
            db.session.commit()
            flash("活动总结已保存。", "success")
            return redirect(url_for("evidence.show_evidence", event_id=event.id))
    form.add_blank_quantity_rows()
    return render_template("events/summary.html", event=event, form=form)
