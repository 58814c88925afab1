"""Reads of an event's evidence: its files in display order, counts, the 活动总结 text."""
from __future__ import annotations

from sqlalchemy import func, select

from eventsvc.events.evidence_models import DOCUMENT, PHOTO, EventAttachment, EventSummary
from eventsvc.events.models import Event
from eventsvc.extensions import db


def attachment_count(event: Event) -> int:
    """Return how many files the event has."""
    return int(db.session.scalar(
        select(func.count(EventAttachment.id)).where(EventAttachment.event_id == event.id)) or 0)


def event_photos(event: Event, limit: int | None = None) -> list[EventAttachment]:
    """Return the event's photos: the cover first, then by capture (or upload) time."""
    stmt = select(EventAttachment).where(EventAttachment.event_id == event.id, EventAttachment.kind == PHOTO).order_by(
        EventAttachment.is_cover.desc(), func.coalesce(EventAttachment.taken_at, EventAttachment.uploaded_at),
        EventAttachment.id)
    return list(db.session.scalars(stmt.limit(limit) if limit else stmt))


def event_documents(event: Event) -> list[EventAttachment]:
    """Return the event's documents, oldest upload first."""
    return list(db.session.scalars(select(EventAttachment).where(
        EventAttachment.event_id == event.id, EventAttachment.kind == DOCUMENT).order_by(EventAttachment.id)))


def summary_text(event: Event) -> str:
    """Return the event's 活动总结 text, or "" when none was written."""
    summary = db.session.get(EventSummary, event.id)
    return summary.text if summary is not None else ""
