"""State changes for participants and check-ins.

Counting depends on one rule kept here: a person checks in at most once per event. The unique
constraint on (event, participant) guarantees it; these functions answer a repeat from a read
and turn a lost race into an "already checked in" answer instead of an error.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping, Optional

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from eventsvc.checkin.models import CANCELLED as REG_CANCELLED
from eventsvc.checkin.models import (
    IMPORT, MANUAL, REGISTERED, SELF_SCAN, STAFF_SCAN, WAITLISTED, CheckIn, CheckInUndo, Participant, Registration,
)
from eventsvc.core.exceptions import OperationError
from eventsvc.core.phones import InvalidPhone, normalize_phone
from eventsvc.core.timeutil import fmt_local, utcnow
from eventsvc.core.tokens import random_token
from eventsvc.events.models import CANCELLED, PUBLISHED, REG_ON, Event
from eventsvc.db import savepoint
from eventsvc.extensions import db
from eventsvc.orgs.models import User

METHODS = (SELF_SCAN, STAFF_SCAN, MANUAL, IMPORT)
GROUPS = ("外卖员", "快递员", "网约车司机", "货车司机", "家政服务员", "环卫工人", "建筑工人", "企业职工", "其他")


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


def find_participant(phone: str) -> Optional[Participant]:
    """Look a participant up by a (possibly unnormalized) phone number."""
    try:
        phone = normalize_phone(phone)
    except InvalidPhone:
        return None
    return db.session.scalar(select(Participant).where(Participant.phone == phone))


def upsert_participant(
    name: str, phone: str, workplace: str = "", group: str = "", *, by: Optional[User]
) -> Participant:
    """Return the participant with this phone, creating it or refreshing changed details."""
    details = validate_person(name, phone, workplace, group)
    participant = db.session.scalar(select(Participant).where(Participant.phone == details["phone"]))
    if participant is None:
        participant = Participant(**details)
        try:
            with savepoint(db.session):
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


def ensure_open(event: Event, now: Optional[datetime] = None) -> None:
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


def existing_check_in(event: Event, participant: Participant) -> Optional[CheckIn]:
    """Return the person's check-in at the event, if any."""
    return db.session.scalar(
        select(CheckIn).where(CheckIn.event_id == event.id, CheckIn.participant_id == participant.id)
    )


def check_in(
    event: Event,
    participant: Participant,
    *,
    by: Optional[User],
    method: str,
    at: Optional[datetime] = None,
    registration: Optional[Registration] = None,
    enforce_window: bool = True,
    provisional: bool = False,
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
        is_provisional=provisional,
    )
    try:
        with savepoint(db.session):
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


def check_out(record: CheckIn, *, by: Optional[User], at: Optional[datetime] = None) -> CheckIn:
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


def active_registration(event: Event, participant: Participant) -> Optional[Registration]:
    """Return the person's seat-holding registration at the event, if any."""
    return db.session.scalar(
        select(Registration).where(
            Registration.event_id == event.id,
            Registration.participant_id == participant.id,
            Registration.status == REGISTERED,
        )
    )


def registration_by_token(token: Optional[str]) -> Optional[Registration]:
    """Find a registration by its ticket token (what the e-ticket QR carries)."""
    if not token or len(token) > 40:
        return None
    return db.session.scalar(select(Registration).where(Registration.token == token))


def registered_count(event: Event) -> int:
    """Return how many seats are taken (status registered)."""
    return db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == event.id, Registration.status == REGISTERED
        )
    ) or 0


def registration_window(event: Event) -> tuple[Optional[datetime], datetime]:
    """Return when workers may register (UTC); by default until the event starts."""
    return event.registration_opens_at, event.registration_closes_at or event.starts_at


def _check_registration_open(event: Event, now: datetime) -> None:
    if event.registration_mode != REG_ON:
        raise OperationError("本场活动无需报名，活动当天扫码签到即可。", code="registration_off")
    if event.status == CANCELLED:
        raise OperationError("本场活动已取消。", code="cancelled")
    if event.status != PUBLISHED:
        raise OperationError("本场活动尚未发布，暂不能报名。", code="not_published")
    opens, closes = registration_window(event)
    if opens and now < opens:
        raise OperationError(f"报名尚未开始，将于 {fmt_local(opens, '%m月%d日 %H:%M')} 开放。", code="registration_not_open")
    if now > closes:
        raise OperationError(f"报名已截止（{fmt_local(closes, '%m月%d日 %H:%M')}）。", code="registration_closed")


def _seat_status(event: Event, *, staff: bool) -> str:
    """Return the status a new registration gets: a seat, the waitlist, or a refusal."""
    if staff or not event.registration_capacity or registered_count(event) < event.registration_capacity:
        return REGISTERED
    if event.waitlist_enabled:
        return WAITLISTED
    raise OperationError("报名人数已满。", code="full")


def register(
    event: Event,
    person: Participant | Mapping[str, str],
    *,
    by: Optional[User],
    now: Optional[datetime] = None,
) -> Registration:
    """Register a worker (by=None) or have staff add one; a repeat returns the existing registration.

    Workers are held to the window and capacity (a full event puts them on the waitlist when it is
    enabled); organizers adding someone by hand are not, since they decide who gets in.
    """
    now = now or utcnow()
    staff = by is not None
    if staff and (not by.can_manage or not by.reaches(event.organization)):
        raise OperationError("您无权为该活动添加报名", code="forbidden")
    if staff:
        if event.registration_mode != REG_ON:
            raise OperationError("本场活动未开启报名。", code="registration_off")
        if event.status == CANCELLED:
            raise OperationError("本场活动已取消。", code="cancelled")
    else:
        _check_registration_open(event, now)
    participant = person if isinstance(person, Participant) else upsert_participant(
        person.get("name", ""), person.get("phone", ""), person.get("workplace", ""), person.get("group", ""),
        by=by,
    )
    existing = db.session.scalar(
        select(Registration).where(Registration.event_id == event.id, Registration.participant_id == participant.id)
    )
    if existing is not None and existing.status != REG_CANCELLED:
        return existing
    status = _seat_status(event, staff=staff)
    if existing is not None:
        # Re-registering after cancelling: back in line from now, same ticket token.
        existing.status, existing.cancelled_at, existing.created_at = status, None, now
        existing.by_user_id = by.id if by else None
        db.session.flush()
        return existing
    reg = Registration(event_id=event.id, participant_id=participant.id, token=random_token(), status=status,
                       by_user_id=by.id if by else None, created_at=now)
    try:
        with savepoint(db.session):
            db.session.add(reg)
    except IntegrityError:
        # The same person submitted twice at once: answer with the registration that won.
        won = db.session.scalar(
            select(Registration).where(Registration.event_id == event.id, Registration.participant_id == participant.id)
        )
        if won is None:
            raise
        return won
    return _settle_seat(event, reg, staff=staff)


def _settle_seat(event: Event, reg: Registration, *, staff: bool) -> Registration:
    """Move a just-seated worker to the waitlist if concurrent sign-ups took the last seats first."""
    cap = event.registration_capacity
    if staff or reg.status != REGISTERED or not cap:
        return reg
    ahead = db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == event.id, Registration.status == REGISTERED, Registration.id < reg.id
        )
    ) or 0
    if ahead >= cap:
        if not event.waitlist_enabled:
            db.session.delete(reg)
            db.session.flush()
            raise OperationError("报名人数已满。", code="full")
        reg.status = WAITLISTED
        db.session.flush()
    return reg


def cancel_registration(reg: Registration, *, by: Optional[User], now: Optional[datetime] = None) -> Optional[Registration]:
    """Cancel a registration (the worker: by=None; or an organizer) and promote the first waiting.

    Returns the promoted registration, if a seat freed and someone was waiting.
    """
    now = now or utcnow()
    event = reg.event
    if by is not None and (not by.can_manage or not by.reaches(event.organization)):
        raise OperationError("您无权取消该报名", code="forbidden")
    if reg.status == REG_CANCELLED:
        return None
    if existing_check_in(event, reg.participant) is not None:
        raise OperationError("已签到的报名不能取消；如签到有误，请先撤销签到。", code="already_checked_in")
    if by is None and now > event.ends_at:
        raise OperationError("活动已结束，不能再取消报名。", code="ended")
    held_seat = reg.status == REGISTERED
    reg.status, reg.cancelled_at = REG_CANCELLED, now
    db.session.flush()
    return promote_waitlisted(event, now=now) if held_seat else None


def promote_waitlisted(event: Event, *, now: Optional[datetime] = None) -> Optional[Registration]:
    """Give a free seat to the first person on the waitlist (by created_at); return them."""
    if event.registration_capacity and registered_count(event) >= event.registration_capacity:
        return None
    first = db.session.scalar(
        select(Registration)
        .where(Registration.event_id == event.id, Registration.status == WAITLISTED)
        .order_by(Registration.created_at, Registration.id)
        .limit(1)
    )
    if first is None:
        return None
    first.status, first.promoted_at = REGISTERED, now or utcnow()
    db.session.flush()
    return first


# --- Staff scanning (扫码核销) ----------------------------------------------------------------

_TICKET_IN_URL = re.compile(r"/t/([A-Za-z0-9_-]{8,40})(?:\.png)?/?(?:[?#].*)?$")
_CHECKIN_IN_URL = re.compile(r"/c/([a-z0-9]{4,16})/?(?:[?#].*)?$")


def ticket_token_from(text: str) -> Optional[str]:
    """Extract the ticket token from what a QR held: the ticket URL or the bare token."""
    text = (text or "").strip()
    match = _TICKET_IN_URL.search(text)
    if match:
        return match.group(1)
    if re.fullmatch(r"[A-Za-z0-9_-]{8,40}", text):
        return text
    return None


def check_in_by_ticket(
    event: Event, text: str, *, by: User, at: Optional[datetime] = None, provisional: bool = False
) -> CheckInResult:
    """Check in the holder of an e-ticket scanned by staff; refuse tickets not valid here."""
    if _CHECKIN_IN_URL.search((text or "").strip()):
        raise CheckInRefused("这是活动的自助签到码，不是职工的报名电子票。", code="not_a_ticket")
    reg = registration_by_token(ticket_token_from(text))
    if reg is None:
        raise CheckInRefused("未找到该电子票：此人未报名本场活动。", code="not_registered")
    if reg.event_id != event.id:
        raise CheckInRefused("这张电子票不是本场活动的。", code="wrong_event")
    if reg.status == REG_CANCELLED:
        raise CheckInRefused(f"{reg.participant.name} 的报名已取消。", code="cancelled_ticket")
    if reg.status == WAITLISTED:
        raise CheckInRefused(f"{reg.participant.name} 仍在候补名单中，未获得名额。", code="waitlisted")
    return check_in(event, reg.participant, by=by, method=STAFF_SCAN, at=at, registration=reg,
                    provisional=provisional)
