"""Writing notices into the outbox, in the caller's transaction; scheduling reminders; opting out.

Every function here only adds rows and flushes: the operation that caused the notice commits (or rolls
back) them together with its change, so a rollback sends nothing and a crash loses nothing.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select

from eventsvc.audit.operations import WorkerActor
from eventsvc.audit.operations import record as audit
from eventsvc.checkin.models import CANCELLED as REG_CANCELLED
from eventsvc.checkin.models import REGISTERED, Participant, Registration
from eventsvc.core.phones import mask_phone
from eventsvc.core.timeutil import LOCAL_OFFSET, fmt_local, utcnow
from eventsvc.events.models import PUBLISHED, Event
from eventsvc.extensions import db
from eventsvc.notices.links import event_link, stop_link
from eventsvc.notices.models import Notice, ReminderOptOut

# Changes of these fields concern the people who registered (time or place); others (title, capacity) do not.
CHANGE_FIELDS = ("starts_at", "ends_at", "venue_name", "venue_address")


def _params(event: Event, name: str = "") -> dict[str, str]:
    params = {
        "event": event.title[:30],
        "time": fmt_local(event.starts_at, "%m月%d日 %H:%M"),
        "place": (event.venue_name or event.venue_address or "见活动页面")[:30],
        "link": event_link(event),
    }
    if name:
        params["name"] = name[:20]
    return params


def _reachable(phone: str) -> bool:
    # An anonymized participant keeps an 11-character stand-in that is not a mobile number (privacy).
    return len(phone) == 11 and phone.isdigit() and phone.startswith("1")


def enqueue(event: Event, phone: str, template: str, *, name: str = "", key: str | None = None) -> Notice | None:
    """Add one pending notice; None when the phone cannot receive SMS."""
    if not _reachable(phone):
        return None
    notice = Notice(event_id=event.id, phone=phone, template=template, params=_params(event, name),
                    dedupe_key=key, next_attempt_at=utcnow())
    db.session.add(notice)
    return notice


def _name(reg: Registration) -> str:
    return reg.name_given or reg.participant.name


def notify_registration(reg: Registration) -> Registration:
    """Tell a worker their seat is confirmed (a waitlisted sign-up hears when promoted); return `reg`."""
    if reg.status == REGISTERED and reg.event.status == PUBLISHED:
        enqueue(reg.event, reg.participant.phone, "registration_confirmed", name=_name(reg))
        db.session.flush()
    return reg


def notify_promoted(reg: Registration) -> None:
    """Tell a worker they moved up from the waitlist."""
    enqueue(reg.event, reg.participant.phone, "waitlist_promoted", name=_name(reg))
    db.session.flush()


def _holders(event: Event) -> Iterable[tuple[Registration, Participant]]:
    """Registrations still holding a seat or a place on the waitlist."""
    return db.session.execute(
        select(Registration, Participant).join(Registration.participant)
        .where(Registration.event_id == event.id, Registration.status != REG_CANCELLED)
        .order_by(Registration.id)
    ).all()


def notify_event_changed(event: Event, changed: Iterable[str]) -> int:
    """Tell everyone registered that the time or place changed; return how many notices were written."""
    if event.status != PUBLISHED or not set(changed) & set(CHANGE_FIELDS):
        return 0
    written = [enqueue(event, p.phone, "event_changed") for _, p in _holders(event)]
    db.session.flush()
    return sum(1 for n in written if n is not None)


def notify_event_cancelled(event: Event, *, was_published: bool) -> int:
    """Tell everyone registered that the event is cancelled (a draft had nobody to tell)."""
    if not was_published:
        return 0
    written = [enqueue(event, p.phone, "event_cancelled") for _, p in _holders(event)]
    db.session.flush()
    return sum(1 for n in written if n is not None)


def opted_out(phone: str) -> bool:
    """Return whether the phone asked for no more reminders."""
    return db.session.scalar(select(ReminderOptOut.id).where(ReminderOptOut.phone == phone)) is not None


def stop_reminders(phone: str, *, via: str, by: WorkerActor | None = None) -> bool:
    """Record that a phone wants no more reminders; False when it already had asked."""
    if opted_out(phone):
        return False
    db.session.add(ReminderOptOut(phone=phone, via=via))
    audit(by if by is not None else None, "notice.stop_reminders", None, object_type="reminder_opt_out",
          summary=f"停止活动提醒：{mask_phone(phone)}（{'短信链接' if via == 'link' else '回复短信'}）")
    db.session.flush()
    return True


def tomorrow_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Return tomorrow in China time as a UTC [start, end) pair."""
    local_midnight = (now + LOCAL_OFFSET).replace(hour=0, minute=0, second=0, microsecond=0)
    start = local_midnight + timedelta(days=1) - LOCAL_OFFSET
    return start, start + timedelta(days=1)


def schedule_reminders(now: datetime | None = None) -> int:
    """Write the day-before reminder for every seat of tomorrow's published events; return how many are new.

    The unique dedupe key (reminder:<event>:<phone>) makes a second run add nothing; keys already present are
    read first so one run never trips over them.
    """
    start, end = tomorrow_bounds(now or utcnow())
    rows = db.session.execute(
        select(Registration, Participant, Event).join(Registration.participant).join(Registration.event)
        .where(Event.status == PUBLISHED, Event.starts_at >= start, Event.starts_at < end,
               Registration.status == REGISTERED)
        .order_by(Event.id, Registration.id)
    ).all()
    keys = {f"reminder:{event.id}:{person.phone}" for _, person, event in rows}
    existing = set(db.session.scalars(select(Notice.dedupe_key).where(Notice.dedupe_key.in_(keys)))) if keys else set()
    stopped = set(db.session.scalars(select(ReminderOptOut.phone)))
    added = 0
    for _, person, event in rows:
        key = f"reminder:{event.id}:{person.phone}"
        if key in existing or person.phone in stopped:
            continue
        notice = enqueue(event, person.phone, "event_reminder", key=key)
        if notice is None:
            continue
        existing.add(key)
        db.session.flush()  # the id signs the stop link
        notice.params = {**notice.params, "stop": stop_link(notice.id)}
        added += 1
    db.session.flush()
    return added
