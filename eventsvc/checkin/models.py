"""Participants and what they did at events: registrations, check-ins, scans (undos are audit entries)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsvc.core.timeutil import utcnow
from eventsvc.db import Base, TimestampMixin, one_of
from eventsvc.events.models import Event
from eventsvc.orgs.models import Organization, User

SELF_SCAN = "self"
STAFF_SCAN = "staff"
MANUAL = "manual"
IMPORT = "import"
METHOD_LABELS = {SELF_SCAN: "扫码自助", STAFF_SCAN: "工作人员扫码", MANUAL: "人工补录", IMPORT: "纸质导入"}

# A check-in's review state: counted at once, or 待核实 until an organizer confirms it (a rejected one is
# deleted, leaving an audit entry). Only "pending" is left out of every count.
CHECKIN_OK = "ok"
CHECKIN_PENDING = "pending"
CHECKIN_CONFIRMED = "confirmed"
CHECKIN_STATUS_LABELS = {CHECKIN_OK: "有效", CHECKIN_PENDING: "待核实", CHECKIN_CONFIRMED: "已核实"}

REGISTERED = "registered"
WAITLISTED = "waitlisted"
CANCELLED = "cancelled"
REG_STATUS_LABELS = {REGISTERED: "已报名", WAITLISTED: "候补中", CANCELLED: "已取消"}


class Participant(TimestampMixin, Base):
    """A worker, identified by a normalized mainland mobile number."""

    __tablename__ = "participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    workplace: Mapped[str] = mapped_column(String(100), default="")
    group: Mapped[str] = mapped_column("group_label", String(20), default="")
    # Where the person was first recorded: only staff whose scope covers it (or district staff) may
    # change the canonical details above; everyone else's input is kept on their own check-in.
    first_organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    # Set when retention or an erasure request replaced the personal fields (eventsvc.privacy).
    anonymized_at: Mapped[datetime | None] = mapped_column(DateTime)

    first_organization: Mapped[Organization | None] = relationship()


class CheckIn(Base):
    """One person present at one event (一人次); the unique constraint forbids a second."""

    __tablename__ = "check_in"
    __table_args__ = (
        UniqueConstraint("event_id", "participant_id"),
        Index("ix_check_in_event_time", "event_id", "checked_in_at"),
        Index("ix_check_in_event_device", "event_id", "device_hash"),
        one_of("method", METHOD_LABELS),
        one_of("status", CHECKIN_STATUS_LABELS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    checked_in_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    method: Mapped[str] = mapped_column(String(10))
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registration.id"))
    checked_out_at: Mapped[datetime | None] = mapped_column(DateTime)
    checked_out_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # The details as given at this event (typed by the worker or by staff), shown on this event's pages
    # instead of the participant's canonical ones, which the typist may not be entitled to see.
    name_given: Mapped[str] = mapped_column(String(40), default="", server_default="")
    workplace_given: Mapped[str] = mapped_column(String(100), default="", server_default="")
    # Where a self check-in came from: enough to spot one phone inventing people, not to identify anyone.
    device_hash: Mapped[str] = mapped_column(String(32), default="", server_default="")
    client_ip: Mapped[str] = mapped_column(String(50), default="", server_default="")  # /24 or /48
    user_agent: Mapped[str] = mapped_column(String(40), default="", server_default="")  # the family only
    status: Mapped[str] = mapped_column(String(10), default=CHECKIN_OK, server_default=CHECKIN_OK)
    pending_reason: Mapped[str] = mapped_column(String(200), default="", server_default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # An organizer's void (作废): the row stays as evidence of what happened at the door, but it no
    # longer counts anywhere (checkin.queries.counted_check_in) and still blocks a second check-in.
    voided_at: Mapped[datetime | None] = mapped_column(DateTime)
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    void_reason: Mapped[str] = mapped_column(String(200), default="", server_default="")

    event: Mapped[Event] = relationship()
    participant: Mapped[Participant] = relationship(lazy="joined")
    by_user: Mapped[User | None] = relationship(foreign_keys=[by_user_id])
    voided_by: Mapped[User | None] = relationship(foreign_keys=[voided_by_id])

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None

    @property
    def method_label(self) -> str:
        return METHOD_LABELS.get(self.method, self.method)

    @property
    def is_pending(self) -> bool:
        return self.status == CHECKIN_PENDING

    @property
    def status_label(self) -> str:
        return CHECKIN_STATUS_LABELS.get(self.status, self.status)

    @property
    def shown_name(self) -> str:
        """The name as given at this event (older rows, without one, show the participant's)."""
        return self.name_given or self.participant.name

    @property
    def shown_workplace(self) -> str:
        return self.workplace_given if self.name_given else self.participant.workplace

    @property
    def duration_minutes(self) -> int | None:
        if self.checked_out_at is None:
            return None
        return max(0, int((self.checked_out_at - self.checked_in_at).total_seconds() // 60))


class Registration(TimestampMixin, Base):
    """A worker's sign-up ahead of an event (报名), with a ticket token for the e-ticket QR."""

    __tablename__ = "registration"
    __table_args__ = (
        UniqueConstraint("event_id", "participant_id"),
        Index("ix_registration_event_status", "event_id", "status", "created_at"),
        one_of("status", REG_STATUS_LABELS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    token: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(12), default=REGISTERED)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)
    promoted_at: Mapped[datetime | None] = mapped_column(DateTime)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # As given when registering: the e-ticket shows these, never the participant's stored details.
    name_given: Mapped[str] = mapped_column(String(40), default="", server_default="")
    workplace_given: Mapped[str] = mapped_column(String(100), default="", server_default="")

    event: Mapped[Event] = relationship()
    participant: Mapped[Participant] = relationship(lazy="joined")

    @property
    def status_label(self) -> str:
        return REG_STATUS_LABELS.get(self.status, self.status)

    @property
    def shown_name(self) -> str:
        return self.name_given or self.participant.name

    @property
    def shown_workplace(self) -> str:
        return self.workplace_given if self.name_given else self.participant.workplace


class ScanRecord(Base):
    """A staff scan keyed by the id the scanning device made, so a resent scan is answered, not redone.

    It keeps the decision (outcome, reason code, ids, times) and never personal details: the answer
    shown to staff is built from the participant row whenever the scan is read or replayed.
    """

    __tablename__ = "scan_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_scan_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    scanned_at: Mapped[datetime] = mapped_column(DateTime)  # when the device saw the code
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    outcome: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(30), default="")  # the refusal reason, else the outcome
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id"))
    # No foreign key: an undone check-in is deleted, and its scan must still replay the same answer.
    check_in_id: Mapped[int | None] = mapped_column(Integer)
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime)
    checked_out_at: Mapped[datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
