"""Events and the quantities they hand out."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsvc.core.figures import Figure, Number
from eventsvc.db import Base, TimestampMixin, one_of
from eventsvc.orgs.models import Organization
from eventsvc.programs.models import Program

DRAFT = "draft"
PUBLISHED = "published"
CANCELLED = "cancelled"
STATUS_LABELS = {DRAFT: "草稿", PUBLISHED: "已发布", CANCELLED: "已取消"}

LEVELS = ["市级", "区级", "街道级", "社区级"]
KINDS = ["宣讲", "培训", "竞赛", "法律服务", "慰问", "文体", "志愿服务", "座谈", "其他"]
TARGET_GROUPS = ["外卖员", "快递员", "网约车司机", "货车司机", "家政服务员", "环卫工人", "建筑工人", "企业职工", "其他"]

REG_OFF = "off"
REG_ON = "on"
QR_STATIC = "static"
QR_DYNAMIC = "dynamic"


# Programs an event also counts toward besides its primary one (issue 10 §4): each counts it once.
event_program = Table(
    "event_program",
    Base.metadata,
    Column("event_id", ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    Column("program_id", ForeignKey("program.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Event(TimestampMixin, Base):
    """One activity (一场) held by an organization under a program."""

    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_program_status_start", "program_id", "status", "starts_at"),
        Index("ix_event_org_start", "organization_id", "starts_at"),
        one_of("status", STATUS_LABELS),
        one_of("registration_mode", (REG_OFF, REG_ON)),
        one_of("qr_mode", (QR_STATIC, QR_DYNAMIC)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # public, in the QR
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[str] = mapped_column(String(10), default="街道级")
    kind: Mapped[str] = mapped_column(String(20), default="其他")
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    venue_name: Mapped[str] = mapped_column(String(120), default="")
    venue_address: Mapped[str] = mapped_column(String(200), default="")
    capacity: Mapped[int | None] = mapped_column(Integer)
    target_groups: Mapped[str] = mapped_column(String(200), default="")  # comma-separated labels
    status: Mapped[str] = mapped_column(String(12), default=DRAFT, index=True)
    # Check-in window; None means the default (opens N minutes before start, closes at end).
    checkin_opens_at: Mapped[datetime | None] = mapped_column(DateTime)
    checkin_closes_at: Mapped[datetime | None] = mapped_column(DateTime)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    # Registration ahead (报名), dynamic QR and check-out.
    registration_mode: Mapped[str] = mapped_column(String(8), default=REG_OFF)
    registration_opens_at: Mapped[datetime | None] = mapped_column(DateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(DateTime)
    registration_capacity: Mapped[int | None] = mapped_column(Integer)
    waitlist_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    requires_registration: Mapped[bool] = mapped_column(Boolean, default=False)
    qr_mode: Mapped[str] = mapped_column(String(8), default=QR_STATIC)
    checkout_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    expected_attendance: Mapped[int | None] = mapped_column(Integer)

    # Reported attendance where names cannot be collected: a hall's headcount, an online lecture's viewers.
    onsite_count: Mapped[int | None] = mapped_column(Integer)
    onsite_note: Mapped[str] = mapped_column(String(200), default="", server_default="")
    online_count: Mapped[int | None] = mapped_column(Integer)
    online_note: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # Joint organizers: a unit of the tree, and/or outside bodies as free text (区人社局).
    co_organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    co_organizers: Mapped[str] = mapped_column(String(200), default="", server_default="")

    program: Mapped[Program] = relationship()
    organization: Mapped[Organization] = relationship(foreign_keys=[organization_id])
    co_organization: Mapped[Organization | None] = relationship(foreign_keys=[co_organization_id])
    additional_programs: Mapped[list[Program]] = relationship(secondary=event_program, order_by=Program.id)
    quantities: Mapped[list[EventQuantity]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventQuantity.id"
    )

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def group_list(self) -> list[str]:
        return [g for g in self.target_groups.split(",") if g]

    def window(self, opens_minutes_before: int = 60) -> tuple[datetime, datetime]:
        """Return the check-in window (UTC)."""
        opens = self.checkin_opens_at or self.starts_at - timedelta(minutes=opens_minutes_before)
        closes = self.checkin_closes_at or self.ends_at
        return opens, closes


class EventQuantity(Base):
    """A counted thing an event handed out or achieved: 清凉礼包 300 份."""

    __tablename__ = "event_quantity"
    __table_args__ = (UniqueConstraint("event_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(10), default="")
    value: Mapped[Number] = mapped_column(Figure, default=0)  # two decimals for money (3.2 万元)

    event: Mapped[Event] = relationship(back_populates="quantities")
