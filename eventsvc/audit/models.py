"""Audit entries: one row per state change, never updated or deleted by the application."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from eventsvc.core.timeutil import utcnow
from eventsvc.db import Base
from eventsvc.orgs.models import Organization, User

ACTOR_USER = "user"
ACTOR_SYSTEM = "system"
ACTOR_WORKER = "worker"  # a worker's own self-service, identified by the hashed device id
ACTOR_KINDS = (ACTOR_USER, ACTOR_SYSTEM, ACTOR_WORKER)
ACTOR_KIND_LABELS = {ACTOR_USER: "工作人员", ACTOR_SYSTEM: "系统", ACTOR_WORKER: "职工自助"}


class AuditEntry(Base):
    """What happened: time, actor, action (`event.publish`), object, its unit, and a masked summary."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        CheckConstraint("actor_kind IN ('user', 'system', 'worker')", name="actor_kind"),
        Index("ix_audit_entry_object", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_kind: Mapped[str] = mapped_column(String(10), default=ACTOR_USER)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    # The username as it was: the entry must read the same after a rename.
    actor_name: Mapped[str] = mapped_column(String(100), default="")
    device_hash: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[int | None] = mapped_column(Integer)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    # The event the entry is about, directly (an event) or through what belongs to it (a check-in, a
    # registration, an attachment): the event's history page lists them all. No foreign key, like object_id.
    event_id: Mapped[int | None] = mapped_column(Integer, index=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    # {"field": [before, after]} for edits, or other structured detail; personal data masked.
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    actor: Mapped[User | None] = relationship()
    organization: Mapped[Organization | None] = relationship()

    @property
    def actor_label(self) -> str:
        if self.actor_kind == ACTOR_USER:
            return self.actor_name or "（已删除用户）"
        return ACTOR_KIND_LABELS.get(self.actor_kind, self.actor_kind)


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit entry."""


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise AuditLogIsAppendOnly("审计日志只能追加，不能修改")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise AuditLogIsAppendOnly("审计日志只能追加，不能删除")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: Any) -> None:
    """Bulk `update(AuditEntry)` / `delete(AuditEntry)` bypass the mapper events above."""
    if (state.is_update or state.is_delete) and state.bind_mapper is not None:
        if state.bind_mapper.class_ is AuditEntry and not state.execution_options.get("audit_retention"):
            raise AuditLogIsAppendOnly("审计日志只能追加，不能修改或删除")
