"""Stations, the program each year's visits count toward, visits (one per person per day) and bulk services."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsvc.core.timeutil import utcnow
from eventsvc.db import Base, TimestampMixin, one_of
from eventsvc.orgs.models import Organization
from eventsvc.programs.models import Program

STATION_KINDS = ["暖蜂驿站", "爱心驿站", "爱心角", "职工之家", "法律服务站", "母婴室", "其他"]

VISIT_SELF = "self"
VISIT_STAFF = "staff"
VISIT_METHOD_LABELS = {VISIT_SELF: "扫码登记", VISIT_STAFF: "工作人员代登记"}


class Station(TimestampMixin, Base):
    """A place run by a unit where workers drop in: rest, water, charging, legal advice."""

    __tablename__ = "station"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # permanent, random: the poster's QR
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20), default="暖蜂驿站")
    address: Mapped[str] = mapped_column(String(200), default="")
    opening_hours: Mapped[str] = mapped_column(String(100), default="")
    services: Mapped[str] = mapped_column(Text, default="")  # one service per line, edited by the unit
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    organization: Mapped[Organization] = relationship()
    programs: Mapped[list[StationProgram]] = relationship(
        back_populates="station", cascade="all, delete-orphan", order_by="StationProgram.year.desc()")

    @property
    def service_list(self) -> list[str]:
        return [s.strip() for s in self.services.splitlines() if s.strip()]

    def program_for(self, year: int) -> Program | None:
        """Return the program this year's visits count toward, if one was chosen."""
        return next((sp.program for sp in self.programs if sp.year == year), None)


class StationProgram(Base):
    """The program a station's visits of one year count toward (one per year)."""

    __tablename__ = "station_program"

    station_id: Mapped[int] = mapped_column(ForeignKey("station.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="CASCADE"), index=True)

    station: Mapped[Station] = relationship(back_populates="programs")
    program: Mapped[Program] = relationship()


class StationVisit(Base):
    """One person at one station on one local day (一人次); the unique constraint forbids a second."""

    __tablename__ = "station_visit"
    __table_args__ = (
        UniqueConstraint("station_id", "participant_id", "visit_date"),
        Index("ix_station_visit_station_date", "station_id", "visit_date"),
        one_of("method", VISIT_METHOD_LABELS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    visit_date: Mapped[date] = mapped_column(Date)  # the China-time day: what "once a day" means
    visited_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    method: Mapped[str] = mapped_column(String(10), default=VISIT_SELF)
    services_used: Mapped[str] = mapped_column(String(300), default="")  # comma-separated, from the list
    name_given: Mapped[str] = mapped_column(String(40), default="")
    device_hash: Mapped[str] = mapped_column(String(32), default="")
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    station: Mapped[Station] = relationship()

    @property
    def service_list(self) -> list[str]:
        return [s for s in self.services_used.split(",") if s]


class StationSupply(Base):
    """Services given in bulk on one day, without names: 今日发放饮用水 120 瓶."""

    __tablename__ = "station_supply"
    __table_args__ = (Index("ix_station_supply_station_date", "station_id", "supply_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id", ondelete="CASCADE"))
    supply_date: Mapped[date] = mapped_column(Date)
    label: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(10), default="")
    note: Mapped[str] = mapped_column(String(200), default="")
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
