"""Series (系列活动/课程): events of a program grouped as one course, 疗休养 batch or set of 项.

Each session stays an ordinary event (its own QR, roster and counts); the series adds per-person
attendance across sessions, completion at the organizer's threshold, and certificates.
"""
from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsvc.core.figures import Figure, Number
from eventsvc.db import Base, TimestampMixin, one_of
from eventsvc.events.models import Event
from eventsvc.orgs.models import Organization
from eventsvc.programs.models import Program

COURSE = "course"
RETREAT = "retreat"
SET = "set"
SERIES_KIND_LABELS = {COURSE: "课程", RETREAT: "疗休养", SET: "系列活动"}

# An event belongs to at most one series (event_id is the key).
series_event = Table(
    "series_event",
    Base.metadata,
    Column("event_id", ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    Column("series_id", ForeignKey("series.id", ondelete="CASCADE"), nullable=False, index=True),
)


class Series(TimestampMixin, Base):
    """A group of events under one program, run by one unit."""

    __tablename__ = "series"
    __table_args__ = (one_of("kind", SERIES_KIND_LABELS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10), default=COURSE)
    description: Mapped[str] = mapped_column(Text, default="")
    # Completion: attended sessions / sessions held >= threshold %; hours printed on the certificate.
    threshold_percent: Mapped[int] = mapped_column(Integer, default=80)
    hours: Mapped[Number] = mapped_column(Figure, default=0)
    certificates_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    program: Mapped[Program] = relationship()
    organization: Mapped[Organization] = relationship()
    events: Mapped[list[Event]] = relationship(secondary=series_event, order_by=Event.starts_at)

    @property
    def kind_label(self) -> str:
        return SERIES_KIND_LABELS.get(self.kind, self.kind)
