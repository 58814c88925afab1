"""A station's photos and documents: the evidence attachments of events (events/evidence_*), owned by a station.

Changes: attach, caption, delete (each audited on the station); reads: its files, and the photos of one
month for the monthly station report. Blobs follow the events' rule: written before the row, deleted by
the caller only after the deleting transaction commits.
"""
from __future__ import annotations

from datetime import date, datetime, time

from flask import current_app
from sqlalchemy import func, select

from eventsvc.core.exceptions import OperationError
from eventsvc.core.permissions import can_manage_org
from eventsvc.core.storage import Storage, StorageError, get_storage
from eventsvc.core.timeutil import from_local
from eventsvc.core.uploads import CheckedUpload
from eventsvc.events.evidence_models import DOCUMENT, PHOTO, EventAttachment
from eventsvc.events.evidence_operations import attach_upload, change_caption, remove_attachment
from eventsvc.extensions import db
from eventsvc.orgs.models import User
from eventsvc.reports.records import MAX_PHOTOS, BriefPhoto
from eventsvc.stations.models import Station

MAX_ATTACHMENTS_PER_STATION = 500  # a year of monthly photos with room to spare


def _check_manager(by: User | None, station: Station) -> None:
    if by is not None and not can_manage_org(by, station.organization):
        raise OperationError("您无权管理该服务阵地的照片和资料", code="forbidden")


def _station_of(item: EventAttachment) -> Station:
    if item.station is None:
        raise OperationError("该文件不属于服务阵地", code="not_found")
    return item.station


def station_attachment_count(station: Station) -> int:
    """Return how many files the station has."""
    return int(db.session.scalar(
        select(func.count(EventAttachment.id)).where(EventAttachment.station_id == station.id)) or 0)


def add_station_attachment(station: Station, upload: CheckedUpload, *, by: User | None, storage: Storage,
                           caption: str = "") -> EventAttachment:
    """Store a checked upload (and its thumbnail) and attach it to the station."""
    _check_manager(by, station)
    room = (station_attachment_count(station), MAX_ATTACHMENTS_PER_STATION, "每个服务阵地")
    return attach_upload(upload, f"stations/{station.id}", storage=storage, by=by, caption=caption, station=station,
                         room=room, action="station.attach", subject=station,
                         summary=lambda what, name: f"为服务阵地“{station.name}”上传{what}“{name}”")


def set_station_caption(item: EventAttachment, caption: str, *, by: User | None) -> EventAttachment:
    """Change the caption printed under a station photo (on the page and in the monthly report)."""
    station = _station_of(item)
    _check_manager(by, station)
    return change_caption(item, caption, by=by, action="station.caption", subject=station,
                          summary=f"修改服务阵地“{station.name}”的文件说明")


def delete_station_attachment(item: EventAttachment, *, by: User | None) -> list[str]:
    """Delete the row and return the storage keys to remove once the transaction has committed."""
    station = _station_of(item)
    _check_manager(by, station)
    what = "照片" if item.is_photo else "文档"
    return remove_attachment(item, by=by, action="station.detach", subject=station,
                             summary=f"删除服务阵地“{station.name}”的{what}“{item.original_name}”")


def station_photos(station: Station, *, month: tuple[int, int] | None = None,
                   limit: int | None = None) -> list[EventAttachment]:
    """Return the station's photos, newest first; with `month` (year, month) only those taken (or, without
    a capture time, uploaded) in that China-time month."""
    shot = func.coalesce(EventAttachment.taken_at, EventAttachment.uploaded_at)
    stmt = select(EventAttachment).where(EventAttachment.station_id == station.id, EventAttachment.kind == PHOTO)
    if month is not None:
        year, m = month
        start = from_local(datetime.combine(date(year, m, 1), time.min))
        end = from_local(datetime.combine(date(year + m // 12, m % 12 + 1, 1), time.min))
        stmt = stmt.where(shot >= start, shot < end)
    stmt = stmt.order_by(shot.desc(), EventAttachment.id.desc())
    return list(db.session.scalars(stmt.limit(limit) if limit else stmt))


def station_documents(station: Station) -> list[EventAttachment]:
    """Return the station's documents, oldest upload first."""
    return list(db.session.scalars(select(EventAttachment).where(
        EventAttachment.station_id == station.id, EventAttachment.kind == DOCUMENT).order_by(EventAttachment.id)))


def month_photos(station: Station, year: int, month: int, *, storage: Storage | None = None) -> list[BriefPhoto]:
    """Return the bytes and captions of the month's photos the monthly report prints (a missing blob is skipped)."""
    storage = storage or get_storage()
    photos: list[BriefPhoto] = []
    for item in station_photos(station, month=(year, month), limit=MAX_PHOTOS):
        try:
            photos.append(BriefPhoto(storage.read(item.storage_key), item.caption))
        except StorageError:  # a gap in the grid, not a failed download
            current_app.logger.warning("station report: photo %s of station %s unreadable", item.id, station.id)
    return photos
