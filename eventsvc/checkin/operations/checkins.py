"""State changes for participants and check-ins.

Counting depends on one rule kept here: a person checks in at most once per event. The unique
constraint on (event, participant) guarantees it; these functions answer a repeat from a read
and turn a lost race into an "already checked in" answer instead of an error.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from eventsvc.checkin.models import (
    IMPORT,
    MANUAL,
    SELF_SCAN,
    STAFF_SCAN,
    CheckIn,
    CheckInUndo,
    Participant,
    Registration,
)
from eventsvc.checkin.queries import active_registration, existing_check_in
from eventsvc.core.exceptions import OperationError
from eventsvc.core.phones import InvalidPhone, normalize_phone
from eventsvc.core.timeutil import fmt_local, utcnow
from eventsvc.db import savepoint
from eventsvc.events.models import CANCELLED, PUBLISHED, TARGET_GROUPS, Event
from eventsvc.extensions import db
from eventsvc.orgs.models import User

METHODS = (SELF_SCAN, STAFF_SCAN, MANUAL, IMPORT)
GROUPS = tuple(TARGET_GROUPS)  # a participant's 人群类别 uses the events' target-group list


class CheckInRefused(OperationError):
    """The event does not accept this check-in now; `code` says why."""


@dataclass
class CheckInResult:
    check_in: CheckIn
    created: bool  # False: the person had already checked in (nothing was written)

    @property
    def ordinal(self) -> int:
        """Position of this check-in at its event: 您是本场第 N 位签到者."""
        return db.session.scalar(
            select(func.count(CheckIn.id)).where(
                CheckIn.event_id == self.check_in.event_id, CheckIn.id <= self.check_in.id
            )
        ) or 0


def validate_person(name: str, phone: str, workplace: str = "", group: str = "") -> dict[str, str]:
    """Return cleaned details or raise OperationError naming the field at fault."""
    name = (name or "").strip()
    if not name:
        raise OperationError("请填写姓名", field="name")
    if len(name) > 40:
        raise OperationError("姓名不能超过 40 个字", field="name")
    try:
        phone = normalize_phone(phone)
    except InvalidPhone as exc:
        raise OperationError(str(exc), field="phone") from None
    workplace = (workplace or "").strip()
    if len(workplace) > 100:
        raise OperationError("单位名称不能超过 100 个字", field="workplace")
    group = (group or "").strip()
    if group and group not in GROUPS:
        raise OperationError("请选择人群类别", field="group")
    return {"name": name, "phone": phone, "workplace": workplace, "group": group}


def upsert_participant(
    name: str, phone: str, workplace: str = "", group: str = "", *, by: User | None
) -> Participant:
    """Return the participant with this phone, creating it or refreshing changed details."""
    details = validate_person(name, phone, workplace, group)
    participant = db.session.scalar(select(Participant).where(Participant.phone == details["phone"]))
    if participant is None:
        participant = Participant(**details)
        try:
            with savepoint(db.session()):
                db.session.add(participant)
        except IntegrityError:
            # Another request created the same phone a moment ago: use theirs.
            participant = db.session.scalar(select(Participant).where(Participant.phone == details["phone"]))
            assert participant is not None
        return participant
    # Write only what changed, so a repeat check-in stays a pure read. A worker's own form
    # (by=None) only fills blanks: anyone can type someone else's number, and must not rename them.
    for key in ("name", "workplace", "group"):
        current = getattr(participant, key)
        if details[key] and current != details[key] and (by is not None or not current):
            setattr(participant, key, details[key])
    return participant


def checkin_window(event: Event) -> tuple[datetime, datetime]:
    """Return the event's check-in window (UTC) with the configured default opening."""
    return event.window(current_app.config.get("CHECKIN_OPENS_MINUTES_BEFORE", 60))


def ensure_open(event: Event, now: datetime | None = None) -> None:
    """Raise CheckInRefused unless the event accepts check-ins at `now`."""
    now = now or utcnow()
    when = f"活动时间：{fmt_local(event.starts_at, '%m月%d日 %H:%M')} — {fmt_local(event.ends_at, '%H:%M')}"
    if event.status == CANCELLED:
        raise CheckInRefused(f"本场活动已取消。{when}", code="cancelled")
    if event.status != PUBLISHED:
        raise CheckInRefused("本场活动尚未发布，暂不能签到。", code="not_published")
    opens, closes = checkin_window(event)
    if now < opens:
        raise CheckInRefused(
            f"签到尚未开始，将于 {fmt_local(opens, '%m月%d日 %H:%M')} 开放。{when}", code="not_open"
        )
    if now > closes:
        raise CheckInRefused(f"签到已结束（截止 {fmt_local(closes, '%m月%d日 %H:%M')}）。{when}", code="closed")


def check_in(
    event: Event,
    participant: Participant,
    *,
    by: User | None,
    method: str,
    at: datetime | None = None,
    registration: Registration | None = None,
    enforce_window: bool = True,
) -> CheckInResult:
    """Record one person at one event; a repeat returns the first check-in and writes nothing."""
    if method not in METHODS:
        raise OperationError("签到方式无效")
    if method != SELF_SCAN and (by is None or not by.can_check_in or not by.reaches(event.organization)):
        raise OperationError("您无权为该活动签到", code="forbidden")
    existing = existing_check_in(event, participant)
    if existing is not None:
        return CheckInResult(existing, created=False)
    if registration is None:
        registration = active_registration(event, participant)
    if event.requires_registration and registration is None and method in (SELF_SCAN, STAFF_SCAN):
        # Staff typing someone in by hand (MANUAL) or importing paper may admit a walk-in; scans may not.
        raise CheckInRefused("本场活动需提前报名，凭报名电子票签到。", code="registration_required")
    if enforce_window:
        ensure_open(event, at)
    elif event.status == CANCELLED:
        raise CheckInRefused("本场活动已取消，不能签到。", code="cancelled")
    record = CheckIn(
        event_id=event.id,
        participant_id=participant.id,
        checked_in_at=at or utcnow(),
        method=method,
        by_user_id=by.id if by else None,
        registration_id=registration.id if registration else None,
    )
    try:
        with savepoint(db.session()):
            db.session.add(record)
    except IntegrityError:
        # Lost a race with a concurrent submit of the same person: answer "already".
        existing = existing_check_in(event, participant)
        if existing is None:
            raise
        return CheckInResult(existing, created=False)
    return CheckInResult(record, created=True)


def undo_check_in(record: CheckIn, *, by: User, reason: str = "") -> CheckInUndo:
    """Remove a mistaken check-in: its own checker within the undo window, an organizer any time."""
    if not by.reaches(record.event.organization) or not by.can_check_in:
        raise OperationError("您无权撤销该签到", code="forbidden")
    window = timedelta(minutes=current_app.config.get("UNDO_WINDOW_MINUTES", 5))
    own_recent = record.by_user_id == by.id and utcnow() - record.checked_in_at <= window
    if not (by.can_manage or own_recent):
        raise OperationError(
            f"只能在签到后 {int(window.total_seconds() // 60)} 分钟内撤销自己操作的签到，请联系活动组织者。",
            code="undo_expired",
        )
    undo = CheckInUndo(
        event_id=record.event_id,
        participant_id=record.participant_id,
        checked_in_at=record.checked_in_at,
        method=record.method,
        by_user_id=record.by_user_id,
        undone_by_id=by.id,
        reason=reason.strip()[:200],
    )
    db.session.add(undo)
    db.session.delete(record)
    db.session.flush()
    return undo


def check_out(record: CheckIn, *, by: User | None, at: datetime | None = None) -> CheckIn:
    """Record when the person left (签退); the first check-out stands."""
    event = record.event
    if not event.checkout_enabled:
        raise OperationError("本场活动不需要签退", code="checkout_disabled")
    if by is not None and (not by.can_check_in or not by.reaches(event.organization)):
        raise OperationError("您无权为该活动签退", code="forbidden")
    if record.checked_out_at is None:
        record.checked_out_at = at or utcnow()
        record.checked_out_by_id = by.id if by else None
        db.session.flush()
    return record


# --- Registration ahead (报名) -------------------------------------------------------------
#
# A registration is `registered` (holds a seat), `waitlisted` (queued by created_at) or
# `cancelled`. "Checked in" is not a status: it is the CheckIn row, so counting keeps one source.
