"""Reads of the import flow: a live preview for its owner, and what already exists to classify against."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from eventsvc.checkin.models import CheckIn, Participant
from eventsvc.core.timeutil import utcnow
from eventsvc.extensions import db
from eventsvc.imports.models import ImportPreview
from eventsvc.orgs.models import User

MAX_TOKEN_LENGTH = 64


def find_preview(
    token: str, *, kind: str, object_id: int, user: User, now: datetime | None = None
) -> ImportPreview | None:
    """Return the unexpired preview behind `token` if `user` made it for this kind and object, else None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return db.session.scalar(
        select(ImportPreview).where(
            ImportPreview.token == token,
            ImportPreview.kind == kind,
            ImportPreview.object_id == object_id,
            ImportPreview.created_by_id == user.id,
            ImportPreview.expires_at > (now or utcnow()),
        )
    )


def checked_in_phones(event_id: int) -> set[str]:
    """Return the phone numbers already checked in at an event."""
    stmt = select(Participant.phone).join(CheckIn, CheckIn.participant_id == Participant.id).where(
        CheckIn.event_id == event_id
    )
    return set(db.session.scalars(stmt))
