"""State changes for an event's evidence: attach, set the cover, caption, delete; write the 活动总结.

Blobs are written before the row (a failed transaction leaves an unreferenced blob, never a row
without its file) and deleted by the caller only after the deleting transaction commits.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from eventsvc.audit.operations import record as audit
from eventsvc.core.exceptions import OperationError
from eventsvc.core.permissions import can_manage_org
from eventsvc.core.storage import Storage, new_key
from eventsvc.core.timeutil import utcnow
from eventsvc.core.uploads import CheckedUpload
from eventsvc.events.evidence_models import DOCUMENT, PHOTO, EventAttachment, EventSummary
from eventsvc.events.evidence_queries import attachment_count
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.orgs.models import User

MAX_ATTACHMENTS_PER_EVENT = 200
MAX_CAPTION = 100
MAX_SUMMARY = 5000


def _check_manager(by: User | None, event: Event) -> None:
    # Write scope: a district department reads every event's evidence but changes only its own unit's.
    if by is not None and not can_manage_org(by, event.organization):
        raise OperationError("您无权管理该活动的照片和资料", code="forbidden")


def add_attachment(event: Event, upload: CheckedUpload, *, by: User | None, storage: Storage,
                   caption: str = "") -> EventAttachment:
    """Store a checked upload (and its thumbnail) and attach it to the event."""
    _check_manager(by, event)
    return attach_upload(upload, f"evidence/{event.id}", storage=storage, by=by, caption=caption, event=event,
                         room=(attachment_count(event), MAX_ATTACHMENTS_PER_EVENT, "每场活动"), action="event.attach",
                         subject=event, summary=lambda what, name: f"为活动“{event.title}”上传{what}“{name}”")


def attach_upload(upload: CheckedUpload, prefix: str, *, storage: Storage, by: User | None, caption: str,
                  room: tuple[int, int, str], action: str, subject: Any, summary: Callable[[str, str], str],
                  event: Event | None = None, station: Any = None) -> EventAttachment:
    """Store a checked upload under `prefix` as a file of the event or station, audited on `subject`;
    `room` is (files it has, files it may have, 每… for the refusal); `summary(what, name)` words the audit."""
    caption = _clean_caption(caption)
    count, limit, per = room
    if count >= limit:
        raise OperationError(f"{per}最多保存 {limit} 个文件，请先删除不需要的。", code="too_many", field="file")
    item = stored_attachment(upload, prefix, storage=storage, by=by, caption=caption)
    if event is not None:
        item.event = event
    if station is not None:
        item.station = station
    db.session.add(item)
    db.session.flush()
    audit(by, action, subject, summary=summary("照片" if item.is_photo else "文档", item.original_name),
          changes={"attachment_id": [None, item.id], "size": [None, item.size]})
    return item


def stored_attachment(upload: CheckedUpload, prefix: str, *, storage: Storage, by: User | None,
                      caption: str) -> EventAttachment:
    """Write a checked upload (and its thumbnail) under `prefix`; return the row for the caller to own and add."""
    key = new_key(prefix, upload.suffix)
    storage.put(key, upload.data, upload.content_type)
    thumb_key = None
    if upload.thumbnail is not None:
        thumb_key = new_key(prefix, ".thumb.jpg")
        storage.put(thumb_key, upload.thumbnail, "image/jpeg")
    return EventAttachment(
        kind=PHOTO if upload.kind == "photo" else DOCUMENT, storage_key=key, thumb_key=thumb_key,
        content_type=upload.content_type, original_name=upload.original_name[:120], size=upload.size,
        width=upload.width, height=upload.height, taken_at=upload.taken_at, uploaded_at=utcnow(),
        uploaded_by_id=by.id if by else None, caption=caption,
    )


def _event_of(item: EventAttachment) -> Event:
    # Station files go through stations/evidence.py; every item handled here is an event's.
    if item.event is None:
        raise OperationError("该文件不属于活动", code="not_found")
    return item.event


def _clean_caption(caption: str) -> str:
    caption = " ".join((caption or "").split())
    if len(caption) > MAX_CAPTION:
        raise OperationError(f"说明最多 {MAX_CAPTION} 个字", field="caption")
    return caption


def set_cover(item: EventAttachment, *, by: User | None) -> EventAttachment:
    """Make a photo the event's cover (the one shown first and on the 简报); the previous cover stops being one."""
    event = _event_of(item)
    _check_manager(by, event)
    if not item.is_photo:
        raise OperationError("只有照片可以设为封面", code="not_photo")
    if item.is_cover:
        return item
    previous = db.session.scalar(select(EventAttachment).where(
        EventAttachment.event_id == event.id, EventAttachment.is_cover.is_(True)))
    if previous is not None:
        previous.is_cover = False
        db.session.flush()  # the partial unique index allows one cover at a time, also mid-transaction
    item.is_cover = True
    db.session.flush()
    audit(by, "event.cover", event, summary=f"将“{item.label}”设为活动“{event.title}”的封面照片",
          changes={"cover_id": [previous.id if previous else None, item.id]})
    return item


def set_caption(item: EventAttachment, caption: str, *, by: User | None) -> EventAttachment:
    """Change the caption printed under a photo (on the page and on the 简报)."""
    event = _event_of(item)
    _check_manager(by, event)
    return change_caption(item, caption, by=by, action="event.caption", subject=event,
                          summary=f"修改活动“{event.title}”的文件说明")


def change_caption(item: EventAttachment, caption: str, *, by: User | None, action: str, subject: Any,
                   summary: str) -> EventAttachment:
    """Set a checked caption and audit the change on `subject` (the event or station that owns the file)."""
    new = _clean_caption(caption)
    if new != item.caption:
        audit(by, action, subject, summary=summary,
              changes={"caption": [item.caption, new], "attachment_id": [item.id, item.id]})
        item.caption = new
        db.session.flush()
    return item


def delete_attachment(item: EventAttachment, *, by: User | None) -> list[str]:
    """Delete the row and return the storage keys to remove once the transaction has committed."""
    event = _event_of(item)
    _check_manager(by, event)
    what = "照片" if item.is_photo else "文档"
    return remove_attachment(item, by=by, action="event.detach", subject=event,
                             summary=f"删除活动“{event.title}”的{what}“{item.original_name}”"
                             + ("（封面）" if item.is_cover else ""))


def remove_attachment(item: EventAttachment, *, by: User | None, action: str, subject: Any,
                      summary: str) -> list[str]:
    """Audit on `subject` and delete the row; return the storage keys to remove once the transaction commits."""
    keys = [k for k in (item.storage_key, item.thumb_key) if k]
    audit(by, action, subject, summary=summary, changes={"attachment_id": [item.id, None]})
    db.session.delete(item)
    db.session.flush()
    return keys


def save_summary(event: Event, text: str, *, by: User | None) -> EventSummary:
    """Write the 活动总结 text (the figures are saved by events.operations on the same form)."""
    _check_manager(by, event)
    text = (text or "").strip().replace("\r\n", "\n")
    if len(text) > MAX_SUMMARY:
        raise OperationError(f"活动总结最多 {MAX_SUMMARY} 字", field="text")
    summary = db.session.get(EventSummary, event.id)
    before = summary.text if summary is not None else ""
    if summary is None:
        summary = EventSummary(event_id=event.id, text="")
        db.session.add(summary)
    if text != before:
        summary.text = text
        summary.updated_by_id = by.id if by else None
        summary.updated_at = utcnow()
        audit(by, "event.summary", event, summary=f"{'修改' if before else '填写'}活动“{event.title}”的活动总结",
              changes={"summary": [before[:200], text[:200]]})
    db.session.flush()
    return summary

