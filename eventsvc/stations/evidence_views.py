"""A station's photos and documents on its page: upload (the events' evidence script and checks), scoped
serving, caption, delete. The monthly station report prints the month's photos (stations/views.py)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from eventsvc.core.permissions import MANAGE_ROLES, can_manage_org, require, roles_required, staff_required
from eventsvc.core.scope import get_in_scope_or_404
from eventsvc.core.storage import get_storage
from eventsvc.core.uploads import UploadLimits
from eventsvc.events.evidence_forms import ConfirmForm
from eventsvc.events.evidence_models import EventAttachment
from eventsvc.events.evidence_pages import confirm_delete, save_caption, send_attachment, send_thumbnail
from eventsvc.events.evidence_views import MAX_FILES_PER_POST, save_uploads, upload_answer
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


def _back_url(station_id: int) -> str:
    return url_for("stations.view_station", station_id=station_id) + "#photos"


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
    return upload_answer(saved, errors, _back_url(station.id))


@bp.get("/stations/<int:station_id>/evidence/<int:attachment_id>")
@staff_required
def attachment_file(station_id: int, attachment_id: int) -> Response:
    """Send a file to a user whose scope covers the station: photos inline, documents as downloads."""
    return send_attachment(_attachment(station_id, attachment_id))


@bp.get("/stations/<int:station_id>/evidence/<int:attachment_id>/thumb")
@staff_required
def attachment_thumb(station_id: int, attachment_id: int) -> Response:
    """Send a photo's thumbnail (same scope rule as the file)."""
    return send_thumbnail(_attachment(station_id, attachment_id))


@bp.post("/stations/<int:station_id>/evidence/<int:attachment_id>/caption")
@roles_required(*MANAGE_ROLES)
def set_caption(station_id: int, attachment_id: int) -> Response:
    """Change a file's caption (printed under the photo in the monthly report)."""
    item = _attachment(station_id, attachment_id, manage=True)
    return save_caption(item, lambda it, caption: evidence.set_station_caption(it, caption, by=_user()),
                        _back_url(station_id))


@bp.route("/stations/<int:station_id>/evidence/<int:attachment_id>/delete", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def delete_attachment(station_id: int, attachment_id: int) -> ResponseReturnValue:
    """Confirm, then delete a file (its blobs go once the deletion is committed)."""
    item = _attachment(station_id, attachment_id, manage=True)
    return confirm_delete(item, lambda it: evidence.delete_station_attachment(it, by=_user()),
                          _back_url(station_id), "stations/evidence_delete.html", station=item.station)
