"""The unit alias table administrators extend: short names the plans use for real organizations."""
from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsvc.db import Base, TimestampMixin
from eventsvc.orgs.models import Organization


class PlanUnitAlias(TimestampMixin, Base):
    """`权益部` means the organization 权益保障部 when a work plan names it (added to the parser's directory)."""

    __tablename__ = "plan_unit_alias"

    id: Mapped[int] = mapped_column(primary_key=True)
    alias: Mapped[str] = mapped_column(String(60), unique=True)
    # Linked by id, so renaming the unit keeps the alias working.
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)

    organization: Mapped[Organization] = relationship()
