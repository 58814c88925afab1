"""A station's photos and documents on its page: upload (the events' evidence script and checks), scoped
serving, caption, delete. The monthly station report prints the month's photos (stations/views.py)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from eventsvc.core.exceptions import OperationError
from eventsvc.core.permissions import MANAGE_ROLES, can_manage_org, require, roles_required, staff_required
from eventsvc.core.scope import get_in_scope_or_404
from eventsvc.core.storage import get_storage, send_stored
from eventsvc.core.uploads import UploadLimits
from eventsvc.events.evidence_forms import CaptionForm, ConfirmForm
from eventsvc.events.evidence_models import EventAttachment
from eventsvc.events.evidence_views import MAX_FILES_PER_POST, remove_blobs, save_uploads, upload_answer
from eventsvc.extensions import db
from eventsvc.orgs.models import User
from eventsvc.stations import evidence
from eventsvc.stations.models import Station

bp = Blueprint("station_evidence", __name__)
PAGE_PHOTOS = 12


def _user() -> User:
    user: User = current_user._get_current_object()
    return user


def _station(station_id: int, *, manage: bool = False) -> Station:
    """Load a station in read scope (404 otherwise); with manage, 403 unless the user may change it."""
    station = get_in_scope_or_404(Station, station_id, _user())
    if manage:
        require(can_manage_org(_user(), station.organization), 403)
    return station


def _attachment(station_id: int, attachment_id: int, *, manage: bool = False) -> EventAttachment:
    station = _station(station_id, manage=manage)
    item = db.session.get(EventAttachment, attachment_id)
    require(item is not None and item.station_id == station.id)
    assert item is not None
    return item


def _back(station_id: int) -> Response:
    return redirect(url_for("stations.view_station", station_id=station_id) + "#photos")


@bp.app_template_global()
def station_evidence(station: Station) -> dict[str, Any]:
    """Give the station page's photo card its photos, documents, limits and the user's rights."""
    return {"photos": evidence.station_photos(station, limit=PAGE_PHOTOS),
            "documents": evidence.station_documents(station), "count": evidence.station_attachment_count(station),
            "can_manage": can_manage_org(_user(), station.organization),
            "limits": UploadLimits.from_config(current_app.config), "max_files": MAX_FILES_PER_POST,
            "confirm": ConfirmForm()}


@bp.post("/stations/<int:station_id>/evidence")
@roles_required(*MANAGE_ROLES)
def upload_files(station_id: int) -> ResponseReturnValue:
    """Check each uploaded file by its content, store it and attach it to the station."""
    station = _station(station_id, manage=True)
    storage = get_storage()
    saved, errors = save_uploads(lambda upload: evidence.add_station_attachment(
        station, upload, by=_user(), storage=storage, caption=request.form.get("caption", "")))
    db.session.commit()
    return upload_answer(saved, errors, url_for("stations.view_station", station_id=station.id) + "#photos")


@bp.get("/stations/<int:station_id>/evidence/<int:attachment_id>")
@staff_required
def attachment_file(station_id: int, attachment_id: int) -> Response:
    """Send a file to a user whose scope covers the station: photos inline, documents as downloads."""
    item = _attachment(station_id, attachment_id)
    download = not item.is_photo or request.args.get("download") == "1"
    return send_stored(item.storage_key, content_type=item.content_type, download_name=item.original_name,
                       as_attachment=download)


@bp.get("/stations/<int:station_id>/evidence/<int:attachment_id>/thumb")
@staff_required
def attachment_thumb(station_id: int, attachment_id: int) -> Response:
    """Send a photo's thumbnail (same scope rule as the file)."""
    item = _attachment(station_id, attachment_id)
    require(item.thumb_key is not None)
    return send_stored(item.thumb_key or "", content_type="image/jpeg", download_name=f"thumb-{item.id}.jpg")


@bp.post("/stations/<int:station_id>/evidence/<int:attachment_id>/caption")
@roles_required(*MANAGE_ROLES)
def set_caption(station_id: int, attachment_id: int) -> Response:
    """Change a file's caption (printed under the photo in the monthly report)."""
    item = _attachment(station_id, attachment_id, manage=True)
    form = CaptionForm()
    if not form.validate_on_submit():
        flash("；".join(e for errs in form.errors.values() for e in errs), "error")
        return _back(station_id)
    try:
        evidence.set_station_caption(item, form.caption.data or "", by=_user())
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash("说明已保存。", "success")
    return _back(station_id)


@bp.route("/stations/<int:station_id>/evidence/<int:attachment_id>/delete", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def delete_attachment(station_id: int, attachment_id: int) -> ResponseReturnValue:
    """Confirm, then delete a file (its blobs go once the deletion is committed)."""
    item = _attachment(station_id, attachment_id, manage=True)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = item.original_name
        try:
            keys = evidence.delete_station_attachment(item, by=_user())
        except OperationError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return _back(station_id)
        db.session.commit()
        remove_blobs(keys)
        flash(f"已删除“{name}”。", "success")
        return _back(station_id)
    return render_template("stations/evidence_delete.html", station=item.station, item=item, form=form)
