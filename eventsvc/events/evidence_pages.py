"""View steps an event's evidence pages share with a station's (stations/evidence_views.py): serving a file or
its thumbnail, saving a caption, the delete confirmation. The caller loads and guards; these answer."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, flash, redirect, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from eventsvc.core.exceptions import OperationError
from eventsvc.core.permissions import require
from eventsvc.core.storage import StorageError, get_storage, send_stored
from eventsvc.events.evidence_forms import CaptionForm, ConfirmForm
from eventsvc.events.evidence_models import EventAttachment
from eventsvc.extensions import db


def send_attachment(item: EventAttachment) -> Response:
    """Send a file: photos inline (unless ?download=1), documents as downloads."""
    download = not item.is_photo or request.args.get("download") == "1"
    return send_stored(item.storage_key, content_type=item.content_type, download_name=item.original_name,
                       as_attachment=download)


def send_thumbnail(item: EventAttachment) -> Response:
    """Send a photo's thumbnail (404 for a file without one)."""
    require(item.thumb_key is not None)
    return send_stored(item.thumb_key or "", content_type="image/jpeg", download_name=f"thumb-{item.id}.jpg")


def commit_or_flash(change: Callable[[], object], success: str) -> bool:
    """Run an operation and commit with a success message; on its refusal roll back and flash why."""
    try:
        change()
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return False
    db.session.commit()
    flash(success, "success")
    return True


def save_caption(item: EventAttachment, change: Callable[[EventAttachment, str], object], back: str) -> Response:
    """Check the posted caption form, apply `change(item, caption)` and go back to `back`."""
    form = CaptionForm()
    if not form.validate_on_submit():
        flash("；".join(e for errs in form.errors.values() for e in errs), "error")
        return redirect(back)
    commit_or_flash(lambda: change(item, form.caption.data or ""), "说明已保存。")
    return redirect(back)


def confirm_delete(item: EventAttachment, delete: Callable[[EventAttachment], list[str]], back: str,
                   template: str, **context: Any) -> ResponseReturnValue:
    """Show the confirmation page; on its POST delete the row, then its blobs once the deletion has committed."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template(template, item=item, form=form, **context)
    name = item.original_name
    keys: list[str] = []
    if commit_or_flash(lambda: keys.extend(delete(item)), f"已删除“{name}”。"):
        remove_blobs(keys)
    return redirect(back)


def remove_blobs(keys: list[str]) -> None:
    """Delete the blobs of rows whose deletion has committed."""
    storage = get_storage()
    for key in keys:
        try:
            storage.delete(key)
        except StorageError:  # the row is gone; an orphaned blob is harmless and logged
            current_app.logger.exception("evidence delete: blob %s not removed", key)
