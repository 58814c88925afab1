"""State changes for registrations (报名): seats, waitlist, cancellation, and e-ticket check-in."""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from eventsvc.audit.operations import WorkerActor, person_label
from eventsvc.audit.operations import record as audit
from eventsvc.checkin.models import CANCELLED as REG_CANCELLED
from eventsvc.checkin.models import (
    REGISTERED,
    STAFF_SCAN,
    WAITLISTED,
    Participant,
    Registration,
)
from eventsvc.checkin.operations.checkins import (
    CheckInRefused,
    CheckInResult,
    Rider,
    check_in,
    upsert_participant,
)
from eventsvc.checkin.queries import (
    existing_check_in,
    registered_count,
    registration_by_token,
    registration_window,
)
from eventsvc.core.exceptions import OperationError
from eventsvc.core.permissions import can_manage_org
from eventsvc.core.timeutil import fmt_local, utcnow
from eventsvc.core.tokens import random_token
from eventsvc.db import savepoint
from eventsvc.events.models import CANCELLED, PUBLISHED, REG_ON, Event
from eventsvc.extensions import db
from eventsvc.notices.operations import notify_promoted, notify_registration
from eventsvc.orgs.models import User


def _check_registration_open(event: Event, now: datetime) -> None:
    if event.registration_mode != REG_ON:
        raise OperationError("本场活动无需报名，活动当天扫码签到即可。", code="registration_off")
    if event.status == CANCELLED:
        raise OperationError("本场活动已取消。", code="cancelled")
    if event.status != PUBLISHED:
        raise OperationError("本场活动尚未发布，暂不能报名。", code="not_published")
    opens, closes = registration_window(event)
    if opens and now < opens:
        raise OperationError(f"报名尚未开始，将于 {fmt_local(opens, '%m月%d日 %H:%M')} 开放。",
                             code="registration_not_open")
    if now > closes:
        raise OperationError(f"报名已截止（{fmt_local(closes, '%m月%d日 %H:%M')}）。", code="registration_closed")


def lock_seats(event: Event) -> None:
    """Serialize seat decisions for one event until the transaction ends (§7).

    PostgreSQL: a row lock on the event, so a second registration waits here and then counts the first one's
    committed seat (READ COMMITTED takes a new snapshot per statement). NO KEY UPDATE, not UPDATE: inserting a
    registration/check-in takes KEY SHARE on the event and must not deadlock against this lock. SQLite has no
    row locks (the clause is dropped) and serializes writers anyway; `_settle_seat` covers its read-then-write.
    """
    db.session.execute(select(Event.id).where(Event.id == event.id).with_for_update(key_share=True))


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
    by: User | None,
    now: datetime | None = None,
) -> Registration:
    """Register a worker (by=None) or have staff add one; a repeat returns the existing registration.

    Workers are held to the window and capacity (a full event puts them on the waitlist when it is
    enabled); organizers adding someone by hand are not, since they decide who gets in.
    """
    now = now or utcnow()
    staff = by is not None
    if by is not None and not can_manage_org(by, event.organization):
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
        by=by, organization=event.organization,
    )
    # The ticket shows the details as given here, never the participant's stored ones (see CheckIn).
    given = (participant.name, participant.workplace) if isinstance(person, Participant) else (
        (person.get("name") or "").strip()[:40], (person.get("workplace") or "").strip()[:100])
    existing = db.session.scalar(
        select(Registration).where(Registration.event_id == event.id, Registration.participant_id == participant.id)
    )
    if existing is not None and existing.status != REG_CANCELLED:
        return existing
    lock_seats(event)
    status = _seat_status(event, staff=staff)
    if existing is not None:
        # Re-registering after cancelling: back in line from now, same ticket token.
        existing.status, existing.cancelled_at, existing.created_at = status, None, now
        existing.by_user_id = by.id if by else None
        existing.name_given, existing.workplace_given = given
        db.session.flush()
        _audit_staff_registration(by, existing)
        return notify_registration(existing)
    reg = Registration(event_id=event.id, participant_id=participant.id, token=random_token(), status=status,
                       by_user_id=by.id if by else None, created_at=now, name_given=given[0],
                       workplace_given=given[1])
    try:
        with savepoint(db.session()):
            db.session.add(reg)
    except IntegrityError:
        # The same person submitted twice at once: answer with the registration that won.
        won = db.session.scalar(
            select(Registration).where(Registration.event_id == event.id, Registration.participant_id == participant.id)
        )
        if won is None:
            raise
        return won
    _audit_staff_registration(by, reg)
    return notify_registration(_settle_seat(event, reg, staff=staff))  # the outbox row commits with the seat


def _audit_staff_registration(by: User | None, reg: Registration) -> None:
    """Staff adding someone is audited; a worker's own sign-up is recorded by its row (like self check-in)."""
    if by is not None:
        audit(by, "registration.create", reg, organization=reg.event.organization,
              summary=f"添加报名：{person_label(reg.participant)}（{reg.status_label}）",
              changes={"participant_id": reg.participant_id, "status": reg.status})


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


def cancel_registration(
    reg: Registration, *, by: User | None, now: datetime | None = None, device_hash: str = ""
) -> Registration | None:
    """Cancel a registration (the worker: by=None; or an organizer) and promote the first waiting.

    Returns the promoted registration, if a seat freed and someone was waiting. `device_hash` names
    the worker's phone in the audit entry when the worker cancels their own.
    """
    now = now or utcnow()
    event = reg.event
    if by is not None and not can_manage_org(by, event.organization):
        raise OperationError("您无权取消该报名", code="forbidden")
    if reg.status == REG_CANCELLED:
        return None
    if existing_check_in(event, reg.participant) is not None:
        raise OperationError("已签到的报名不能取消；如签到有误，请先撤销签到。", code="already_checked_in")
    if by is None and now > event.ends_at:
        raise OperationError("活动已结束，不能再取消报名。", code="ended")
    held_seat = reg.status == REGISTERED
    before = reg.status
    reg.status, reg.cancelled_at = REG_CANCELLED, now
    audit(by if by is not None else WorkerActor(device_hash), "registration.cancel", reg,
          organization=event.organization, summary=f"取消报名：{person_label(reg.participant)}",
          changes={"participant_id": reg.participant_id, "status": [before, REG_CANCELLED]})
    db.session.flush()
    return promote_waitlisted(event, by=by, now=now) if held_seat else None


def promote_waitlisted(event: Event, *, by: User | None, now: datetime | None = None) -> Registration | None:
    """Give a free seat to the first person on the waitlist (by created_at); return them.

    `by` is the user whose action freed the seat, or None for the system (a worker cancelling their own).
    """
    if by is not None and not can_manage_org(by, event.organization):
        raise OperationError("您无权调整该活动的报名", code="forbidden")
    lock_seats(event)
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
    audit(by, "registration.promote", first, organization=event.organization,
          summary=f"候补转正：{person_label(first.participant)}",
          changes={"participant_id": first.participant_id, "status": [WAITLISTED, REGISTERED]})
    db.session.flush()
    notify_promoted(first)
    return first


# --- Staff scanning (扫码核销) ----------------------------------------------------------------

_TICKET_IN_URL = re.compile(r"/t/([A-Za-z0-9_-]{8,40})(?:\.png)?/?(?:[?#].*)?$")
_CHECKIN_IN_URL = re.compile(r"/c/([a-z0-9]{4,16})/?(?:[?#].*)?$")


def ticket_token_from(text: str) -> str | None:
    """Extract the ticket token from what a QR held: the ticket URL or the bare token."""
    text = (text or "").strip()
    match = _TICKET_IN_URL.search(text)
    if match:
        return match.group(1)
    if re.fullmatch(r"[A-Za-z0-9_-]{8,40}", text):
        return text
    return None


def check_in_by_ticket(event: Event, text: str, *, by: User, at: datetime | None = None) -> CheckInResult:
    """Check in the holder of an e-ticket scanned by staff; refuse tickets not valid here."""
    return admit_ticket(event, text, registration_by_token(ticket_token_from(text)), by=by, at=at)


def admit_ticket(event: Event, text: str, reg: Registration | None, *, by: User,
                 at: datetime | None = None, absent: bool = False, rider: Rider | None = None,
                 alone: bool = False) -> CheckInResult:
    """check_in_by_ticket for a caller that has looked up the ticket's registration (`reg`) already.

    `absent`: the caller has just read that the holder has no check-in at `event`; `rider`, `alone`: check_in's.
    """
    if _CHECKIN_IN_URL.search((text or "").strip()):
        raise CheckInRefused("这是活动的自助签到码，不是职工的报名电子票。", code="not_a_ticket")
    if reg is None:
        raise CheckInRefused("未找到该电子票：此人未报名本场活动。", code="not_registered")
    if reg.event_id != event.id:
        raise CheckInRefused("这张电子票不是本场活动的。", code="wrong_event")
    if reg.status == REG_CANCELLED:
        raise CheckInRefused(f"{reg.shown_name} 的报名已取消。", code="cancelled_ticket")
    if reg.status == WAITLISTED:
        raise CheckInRefused(f"{reg.shown_name} 仍在候补名单中，未获得名额。", code="waitlisted")
    return check_in(event, reg.participant, by=by, method=STAFF_SCAN, at=at, registration=reg, absent=absent,
                    rider=rider, alone=alone)
