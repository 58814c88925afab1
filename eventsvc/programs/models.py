"""Programs, their targets and per-organization shares."""
from __future__ import annotations

from datetime import date

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsvc.core.figures import Figure, Number
from eventsvc.db import Base, TimestampMixin, one_of
from eventsvc.orgs.models import Organization

SESSIONS = "sessions"
ATTENDANCES = "attendances"
PARTICIPANTS = "participants"
CUSTOM = "custom"

METRIC_LABELS = {SESSIONS: "场次", ATTENDANCES: "人次", PARTICIPANTS: "人数", CUSTOM: "其他"}
METRIC_UNITS = {SESSIONS: "场", ATTENDANCES: "人次", PARTICIPANTS: "人"}

# Where a target's achievement comes from (issue 10 §2). Non-event kinds use metric CUSTOM + label/unit.
KIND_EVENTS = "events"  # counted from events: 场, 人次, 人, per-event quantities
KIND_AMOUNT = "amount"  # money (元/万元): recorded per event and/or reported per period
KIND_RATE = "rate"  # numerator / denominator reported per unit and period; value is the goal in %
KIND_REPORTED = "reported"  # outcomes no event produces (新增建会企业 家), reported per period
KIND_LABELS = {KIND_EVENTS: "活动计数", KIND_AMOUNT: "金额", KIND_RATE: "比率", KIND_REPORTED: "填报成果"}
REPORTED_KINDS = (KIND_AMOUNT, KIND_RATE, KIND_REPORTED)

# The parts of 人次: named check-ins, a headcount typed in on site, online viewers.
SRC_CHECKIN = "checkin"
SRC_ONSITE = "onsite"
SRC_ONLINE = "online"
SRC_STATION = "station"  # visits at service stations (eventsvc.stations), one per person per day
SOURCE_LABELS = {SRC_CHECKIN: "扫码签到", SRC_ONSITE: "现场填报", SRC_ONLINE: "线上", SRC_STATION: "驿站服务"}

CATEGORIES = [
    "思想引领", "劳模工匠", "产业工人", "技能提升", "关爱服务",
    "文体活动", "新就业形态", "法律服务", "组织建设", "其他",
]

program_lead_department = Table(
    "program_lead_department",
    Base.metadata,
    Column("program_id", ForeignKey("program.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", ForeignKey("organization.id"), primary_key=True),
)

program_participating_org = Table(
    "program_participating_org",
    Base.metadata,
    Column("program_id", ForeignKey("program.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", ForeignKey("organization.id"), primary_key=True),
)


class Program(TimestampMixin, Base):
    """A line of work for a year (工作要点条目), owned by the organization that set it."""

    __tablename__ = "program"
    __table_args__ = (
        UniqueConstraint("organization_id", "year", "name"),
        # Re-importing a plan matches its items by number: one program per owner, year and item number.
        # Per owner, not per year alone: a street's own program may cite the district item it serves.
        Index(
            "ix_program_plan_item_unique", "organization_id", "year", "plan_item", unique=True,
            sqlite_where=text("plan_item <> ''"), postgresql_where=text("plan_item <> ''"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(40), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    plan_item: Mapped[str] = mapped_column(String(20), default="")  # e.g. "12" in the year's plan
    plan_section: Mapped[str] = mapped_column(String(200), default="")  # e.g. "一、筑牢思想引领根基"
    # False for plan items with no quantitative target: work reported on, not counted against a figure.
    has_target: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    organization: Mapped[Organization] = relationship()
    lead_departments: Mapped[list[Organization]] = relationship(secondary=program_lead_department)
    participating_orgs: Mapped[list[Organization]] = relationship(secondary=program_participating_org)
    targets: Mapped[list[Target]] = relationship(
        back_populates="program", cascade="all, delete-orphan", order_by="Target.id"
    )

    @property
    def overall_targets(self) -> list[Target]:
        return [t for t in self.targets if t.organization_id is None]

    @property
    def share_targets(self) -> list[Target]:
        return [t for t in self.targets if t.organization_id is not None]


class Target(Base):
    """A goal of a program: N 场 / 人次 / 人 / custom units, overall or one organization's share."""

    __tablename__ = "target"
    # One target per metric/label/level/organization (programs.operations.set_targets). NULLs never
    # collide in a unique constraint, so overall targets (no organization) get a partial unique index.
    __table_args__ = (
        UniqueConstraint("program_id", "metric", "label", "level", "organization_id"),
        Index(
            "ix_target_overall_unique", "program_id", "metric", "label", "level", unique=True,
            sqlite_where=text("organization_id IS NULL"), postgresql_where=text("organization_id IS NULL"),
        ),
        one_of("metric", METRIC_LABELS),
        one_of("kind", KIND_LABELS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="CASCADE"), index=True)
    metric: Mapped[str] = mapped_column(String(20))
    # For custom metrics: what is counted (清凉礼包) and its unit (份); events record the same label.
    label: Mapped[str] = mapped_column(String(40), default="")
    unit: Mapped[str] = mapped_column(String(10), default="")
    value: Mapped[Number] = mapped_column(Figure)  # two decimals at most (780.5 万元); a rate's goal in %
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    level: Mapped[str] = mapped_column(String(10), default="")  # optional: sessions of one level only
    kind: Mapped[str] = mapped_column(String(12), default=KIND_EVENTS, server_default=KIND_EVENTS)
    # For 人次 targets: which parts count, comma-separated SRC_* ("" = all of them).
    attendance_sources: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # For 场次 targets: each series (events/series_models) counts as one 项 instead of its sessions.
    series_as_one: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    program: Mapped[Program] = relationship(back_populates="targets")
    organization: Mapped[Organization | None] = relationship()

    @property
    def unit_label(self) -> str:
        if self.kind == KIND_RATE:
            return "%"
        return self.unit if self.metric == CUSTOM else METRIC_UNITS[self.metric]

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def is_reported(self) -> bool:
        """Tell whether units enter figures for this target at /programs/<id>/reports."""
        return self.kind in REPORTED_KINDS

    @property
    def sources(self) -> tuple[str, ...]:
        """Return the parts of 人次 this target counts (all when none are named)."""
        chosen = tuple(s for s in self.attendance_sources.split(",") if s in SOURCE_LABELS)
        return chosen or tuple(SOURCE_LABELS)

    @property
    def metric_label(self) -> str:
        if self.metric == CUSTOM:
            return self.label
        base = METRIC_LABELS[self.metric]
        return f"{self.level}{base}" if self.level else base
