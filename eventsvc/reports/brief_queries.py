"""Gather what an event's 活动简报 prints: details, figures with their composition, summary, photos."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select

from eventsvc.checkin.models import CHECKIN_PENDING, METHOD_LABELS, CheckIn
from eventsvc.checkin.queries import counted_check_in
from eventsvc.core.figures import fmt_figure
from eventsvc.core.storage import Storage, StorageError, get_storage
from eventsvc.events.evidence_queries import event_photos, summary_text
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.reports.records import MAX_PHOTOS, BriefPhoto, EventBrief


def _attendance_lines(event: Event) -> list[tuple[str, str]]:
    """Return 人次 with its parts (by check-in method, reported on site, online), 人数, and pending ones."""
    by_method = dict(db.session.execute(
        select(CheckIn.method, func.count(CheckIn.id)).where(CheckIn.event_id == event.id, counted_check_in())
        .group_by(CheckIn.method)).all())
    people = int(db.session.scalar(select(func.count(func.distinct(CheckIn.participant_id))).where(
        CheckIn.event_id == event.id, counted_check_in())) or 0)
    pending = int(db.session.scalar(select(func.count(CheckIn.id)).where(
        CheckIn.event_id == event.id, CheckIn.status == CHECKIN_PENDING)) or 0)
    checkins = sum(by_method.values())
    onsite, online = event.onsite_count or 0, event.online_count or 0
    parts: list[str] = []
    if checkins:
        methods = "、".join(f"{label} {by_method[m]}" for m, label in METHOD_LABELS.items() if by_method.get(m))
        parts.append(f"实名签到 {checkins}（{methods}）")
    if event.onsite_count is not None:
        parts.append(f"现场填报 {onsite}" + (f"（{event.onsite_note}）" if event.onsite_note else ""))
    if event.online_count is not None:
        parts.append(f"线上 {online}" + (f"（{event.online_note}）" if event.online_note else ""))
    total = checkins + onsite + online
    lines = [("参加人次", f"{total} 人次" + (f"：{'；'.join(parts)}" if parts else "")),
             ("实名人数", f"{people} 人（按手机号去重）")]
    if pending:
        lines.append(("待核实", f"{pending} 人次（核实前不计入）"))
    return lines


def _photos(event: Event, storage: Storage) -> list[BriefPhoto]:
    photos: list[BriefPhoto] = []
    for item in event_photos(event, MAX_PHOTOS):
        try:
            photos.append(BriefPhoto(storage.read(item.storage_key), item.caption))
        except StorageError:  # a missing blob leaves a gap in the grid, not a failed download
            current_app.logger.warning("brief: photo %s of event %s unreadable", item.id, event.id)
    return photos


def load_event_brief(event: Event, *, storage: Storage | None = None) -> EventBrief:
    """Return the EventBrief of an event (the caller has checked the user's scope)."""
    place = event.venue_name
    if event.venue_address:
        place = f"{place}（{event.venue_address}）" if place else event.venue_address
    co = [o for o in ((event.co_organization.name if event.co_organization else ""), event.co_organizers) if o]
    figures = _attendance_lines(event)
    figures += [(q.label, f"{fmt_figure(q.value)} {q.unit}".strip()) for q in event.quantities]
    return EventBrief(
        title=event.title, starts_at=event.starts_at, ends_at=event.ends_at, place=place,
        organizer=event.organization.name, co_organizers="、".join(co), program=event.program.name,
        level=event.level, status_label=event.status_label, figures=figures, summary=summary_text(event),
        photos=_photos(event, storage or get_storage()),
    )
