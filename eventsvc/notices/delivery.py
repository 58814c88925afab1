"""The delivery worker: send due notices through the SMS sender, retry with back-off, then give up visibly."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from eventsvc.core.phones import mask_phone
from eventsvc.core.sms import SmsSender
from eventsvc.core.timeutil import utcnow
from eventsvc.events.models import CANCELLED
from eventsvc.extensions import db
from eventsvc.notices.models import FAILED, PENDING, SENT, SKIPPED, Notice
from eventsvc.notices.operations import opted_out

log = logging.getLogger("eventsvc.notices")


@dataclass
class Delivered:
    """What one pass did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.retried + self.failed + self.skipped


def retry_delay(attempts: int, base_seconds: int) -> timedelta:
    """Double the wait after each failed attempt (1, 2, 4 … × base), at most an hour."""
    return timedelta(seconds=min(base_seconds * 2 ** max(attempts - 1, 0), 3600))


def _skip_reason(notice: Notice) -> str:
    if notice.template == "event_reminder" and opted_out(notice.phone):
        return "已退订活动提醒"
    if notice.template != "event_cancelled" and notice.event.status == CANCELLED:
        return "活动已取消"
    return ""


def _deliver_one(notice: Notice, sender: SmsSender, now: datetime, max_attempts: int, base_seconds: int) -> str:
    reason = _skip_reason(notice)
    if reason:
        notice.state, notice.last_error = SKIPPED, reason
        return SKIPPED
    notice.attempts += 1
    try:
        result = sender.send(notice.phone, notice.template, notice.params)
    except Exception as exc:  # noqa: BLE001 (a backend bug must not stop the other notices)
        log.exception("SMS backend raised for notice %s", notice.id)
        ok, provider_id, error = False, "", f"{type(exc).__name__}"
    else:
        ok, provider_id = result.ok, result.message_id
        error = f"{result.error_code} {result.error_message}".strip()
    if ok:
        notice.state, notice.provider_id, notice.sent_at, notice.last_error = SENT, provider_id[:80], now, ""
        return SENT
    notice.last_error = error[:200]
    if notice.attempts >= max_attempts:
        notice.state = FAILED
        log.warning("notice %s to %s [%s] failed for good: %s", notice.id, mask_phone(notice.phone),
                    notice.template, notice.last_error)
        return FAILED
    notice.next_attempt_at = now + retry_delay(notice.attempts, base_seconds)
    return PENDING


def deliver_due(sender: SmsSender, *, now: datetime | None = None, limit: int = 50, max_attempts: int = 5,
                retry_seconds: int = 60) -> Delivered:
    """Send up to `limit` due notices, committing after each so a crash repeats at most one send.

    PostgreSQL: SKIP LOCKED lets two workers share the outbox without sending a notice twice.
    """
    done = Delivered()
    due = db.session.scalars(
        select(Notice).where(Notice.state == PENDING, Notice.next_attempt_at <= (now or utcnow()))
        .order_by(Notice.next_attempt_at, Notice.id).limit(limit).with_for_update(skip_locked=True)
    ).all()
    for notice in due:
        outcome = _deliver_one(notice, sender, now or utcnow(), max_attempts, retry_seconds)
        db.session.commit()
        if outcome == SENT:
            done.sent += 1
        elif outcome == FAILED:
            done.failed += 1
        elif outcome == SKIPPED:
            done.skipped += 1
        else:
            done.retried += 1
    db.session.commit()  # ends the transaction of an empty pass too
    return done


def run_worker(deliver: Callable[[], Delivered], *, idle_seconds: float, should_stop: Callable[[], bool],
               sleep: Callable[[float], object] = time.sleep) -> None:
    """Deliver until told to stop: at once while there is work, after `idle_seconds` when there is none,
    and with a doubling pause (at most a minute) while the database or the network is down."""
    pause = idle_seconds
    while not should_stop():
        try:
            done = deliver()
        except Exception:  # noqa: BLE001 (the database restarting must not end the worker)
            try:
                db.session.rollback()
            except Exception:  # noqa: BLE001 (the connection itself may be gone)
                db.session.remove()
            log.exception("notice delivery failed; retrying in %.0f s", pause)
            sleep(pause)
            pause = min(pause * 2, 60.0)
            continue
        pause = idle_seconds
        if done.total == 0:
            sleep(idle_seconds)
