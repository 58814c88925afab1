"""The SMS outbox and the list of phones that asked for no more reminders."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsvc.core.timeutil import utcnow
from eventsvc.db import Base, one_of
from eventsvc.events.models import Event

PENDING = "pending"
SENT = "sent"
FAILED = "failed"
SKIPPED = "skipped"  # not sent on purpose: the worker opted out or the event was cancelled meanwhile
STATES = (PENDING, SENT, FAILED, SKIPPED)
STATE_LABELS = {PENDING: "待发送", SENT: "已发送", FAILED: "发送失败", SKIPPED: "未发送"}

TEMPLATE_LABELS = {
    "registration_confirmed": "报名成功",
    "waitlist_promoted": "候补转正",
    "event_changed": "活动变更",
    "event_cancelled": "活动取消",
    "event_reminder": "活动提醒",
}


class Notice(Base):
    """One SMS to one phone, inserted in the transaction of the change that causes it (a rollback sends nothing).

    `dedupe_key` is unique where set: the reminder of one event to one phone exists once however often
    the schedule runs.
    """

    __tablename__ = "notice"
    __table_args__ = (
        one_of("state", STATES),
        Index("ix_notice_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    phone: Mapped[str] = mapped_column(String(11))
    template: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(String(200), default="")
    provider_id: Mapped[str] = mapped_column(String(80), default="")
    dedupe_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)

    event: Mapped[Event] = relationship()

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)

    @property
    def template_label(self) -> str:
        return TEMPLATE_LABELS.get(self.template, self.template)


class ReminderOptOut(Base):
    """A phone that asked for no more reminders (by the link in a message, or by replying, entered by staff)."""

    __tablename__ = "reminder_opt_out"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11), unique=True)
    via: Mapped[str] = mapped_column(String(10), default="link")  # link | reply
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
