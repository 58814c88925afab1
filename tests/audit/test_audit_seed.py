"""The demo seed goes through the operations, so a fresh database already has a history (actor: system)."""
from __future__ import annotations

from sqlalchemy import func, select

from eventsvc.audit.models import AuditEntry
from eventsvc.checkin.models import SELF_SCAN, CheckIn


def test_seed_leaves_a_system_history_and_a_second_run_adds_none(runner, db) -> None:  # type: ignore[no-untyped-def]
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    by_system = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.actor_kind == "system")))
    assert {"program.create", "event.create", "event.publish", "event.cancel"} <= by_system
    # Staff typed some people in (audited); workers' own check-ins are their rows only.
    staff = db.session.scalar(select(func.count(CheckIn.id)).where(CheckIn.method != SELF_SCAN))
    logged = db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "checkin.create"))
    assert staff and logged == staff
    total = db.session.scalar(select(func.count(AuditEntry.id)))
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert db.session.scalar(select(func.count(AuditEntry.id))) == total
