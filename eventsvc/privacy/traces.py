"""Personal data outside the participant's own rows: SMS notices, reminder opt-outs, codes, station visits.

A notice row stays (organizers see what was sent) but loses the full number, the name and the phone in its
dedupe key; opt-outs and verification codes hold nothing but a phone, so they are deleted.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Delete, delete, func, select, update
from sqlalchemy.engine import CursorResult

from eventsvc.checkin.models import Participant
from eventsvc.core.phones import mask_phone
from eventsvc.core.verification import PhoneVerification
from eventsvc.extensions import db
from eventsvc.imports.models import ImportPreview
from eventsvc.notices.models import PENDING, SKIPPED, Notice, ReminderOptOut
from eventsvc.stations.models import StationVisit

ERASED_NOTE = "收件人信息已删除"
# A code is worthless once expired; a day more leaves room to look into a complaint about one.
CODE_KEEP = timedelta(days=1)


def _is_full(phone: str) -> bool:
    return len(phone) == 11 and phone.isdigit()


def _mask_notices(where: ColumnElement[bool]) -> int:
    """Mask the phone of the matching notices, drop the name they carried; a pending one is not sent."""
    notices = db.session.scalars(select(Notice).where(where, Notice.phone.not_like("%*%"))).all()
    for notice in notices:
        notice.phone = mask_phone(notice.phone)  # 138****5678: still 11 characters, never a mobile number
        notice.params = {k: v for k, v in (notice.params or {}).items() if k != "name"}
        notice.dedupe_key = None  # reminder:<event>:<phone>
        if notice.state == PENDING:
            notice.state, notice.last_error = SKIPPED, ERASED_NOTE
    return len(notices)


def _deleted(stmt: Delete) -> int:
    result = cast(CursorResult[Any], db.session.execute(stmt.execution_options(synchronize_session=False)))
    return result.rowcount or 0


def forget_person(person_id: int, phone: str) -> None:
    """Remove what else identifies one person being anonymized (their phone is the one they had)."""
    db.session.execute(
        update(StationVisit).where(StationVisit.participant_id == person_id)
        .values(name_given="", device_hash="").execution_options(synchronize_session=False)
    )
    if _is_full(phone):
        _mask_notices(Notice.phone == phone)
        _deleted(delete(ReminderOptOut).where(ReminderOptOut.phone == phone))
        _deleted(delete(PhoneVerification).where(PhoneVerification.phone == phone))


@dataclass(frozen=True)
class TraceCounts:
    notices: int = 0  # notices older than the cutoff whose phone was masked
    opt_outs: int = 0  # opt-outs of phones no participant has any more
    codes: int = 0  # verification codes long expired
    previews: int = 0  # expired import previews (their rows hold names and phones)

    @property
    def total(self) -> int:
        return self.notices + self.opt_outs + self.codes + self.previews


def _orphan_opt_out() -> ColumnElement[bool]:
    return ~select(Participant.id).where(Participant.phone == ReminderOptOut.phone).exists()


def purge_traces(cutoff: datetime, now: datetime, *, dry_run: bool) -> TraceCounts:
    """Age out what the retention purge cannot reach through a participant; a dry run only counts."""
    old_notice = Notice.created_at < cutoff
    old_code = PhoneVerification.expires_at < now - CODE_KEEP
    if dry_run:
        def count(entity: Any, where: ColumnElement[bool]) -> int:
            return db.session.scalar(select(func.count()).select_from(entity).where(where)) or 0
        return TraceCounts(
            notices=count(Notice, old_notice & Notice.phone.not_like("%*%")),
            opt_outs=count(ReminderOptOut, _orphan_opt_out()),
            codes=count(PhoneVerification, old_code),
            previews=count(ImportPreview, ImportPreview.expires_at <= now),
        )
    from eventsvc.imports.operations import purge_expired_previews  # imports pull in the whole import stack

    return TraceCounts(
        notices=_mask_notices(old_notice),
        opt_outs=_deleted(delete(ReminderOptOut).where(_orphan_opt_out())),
        codes=_deleted(delete(PhoneVerification).where(old_code)),
        previews=purge_expired_previews(now=now),
    )


def recent_station_visit(cutoff: datetime) -> ColumnElement[bool]:
    """A station visit on or after `cutoff` is activity too: such a person is kept."""
    return select(StationVisit.id).where(
        StationVisit.participant_id == Participant.id, StationVisit.visited_at >= cutoff).exists()
