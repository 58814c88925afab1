"""Reported figures (填报): what a unit enters per month for targets no event can count."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsvc.core.figures import Figure, Number
from eventsvc.db import Base, TimestampMixin, one_of
from eventsvc.orgs.models import Organization, User
from eventsvc.programs.models import KIND_RATE, Program

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
REPORT_STATUS_LABELS = {PENDING: "待审核", APPROVED: "已审核", REJECTED: "已退回"}


class ReportedFigure(TimestampMixin, Base):
    """One unit's figure for one measure of a program in one month; it counts once approved.

    Keyed by the measure's label (新增建会企业, 集体合同签订率), not by a target row: editing a
    program replaces its targets, and the figures a street entered must survive that.
    """

    __tablename__ = "reported_figure"
    __table_args__ = (
        UniqueConstraint("program_id", "label", "organization_id", "period"),
        Index("ix_reported_figure_program_status", "program_id", "status"),
        one_of("status", REPORT_STATUS_LABELS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(10), default="")
    kind: Mapped[str] = mapped_column(String(12))  # the target kind when entered (rate: numerator/denominator)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    period: Mapped[date] = mapped_column(Date)  # the first day of the month reported on
    value: Mapped[Number | None] = mapped_column(Figure)
    numerator: Mapped[Number | None] = mapped_column(Figure)
    denominator: Mapped[Number | None] = mapped_column(Figure)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    reject_reason: Mapped[str] = mapped_column(String(200), default="")
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # One optional evidence file (a photo, a scanned 台账 page, a spreadsheet): its blob lives in storage
    # under evidence_key and is served only to users whose scope reaches the figure's unit.
    evidence_key: Mapped[str | None] = mapped_column(String(256))
    evidence_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    evidence_type: Mapped[str] = mapped_column(String(100), default="", server_default="")
    evidence_size: Mapped[int | None] = mapped_column(Integer)

    program: Mapped[Program] = relationship()
    organization: Mapped[Organization] = relationship()
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])

    @property
    def status_label(self) -> str:
        return REPORT_STATUS_LABELS.get(self.status, self.status)

    @property
    def is_rate(self) -> bool:
        return self.kind == KIND_RATE

    @property
    def evidence_is_photo(self) -> bool:
        return self.evidence_type.startswith("image/")

    @property
    def period_label(self) -> str:
        return f"{self.period.year} 年 {self.period.month} 月"
