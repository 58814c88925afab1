"""Exports of full phone numbers are audited (who, which report, which event); masked exports are not."""
from __future__ import annotations

from sqlalchemy import select

from eventsvc.audit.models import AuditEntry
from eventsvc.extensions import db


def test_full_phone_export_writes_one_entry(client, login, tree, create_event, create_check_in) -> None:  # type: ignore[no-untyped-def]
    event = create_event(org=tree["a"])
    create_check_in(event)
    login(tree["org_a"])
    assert client.get(f"/events/{event.id}/checkins.xlsx").status_code == 200
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action.startswith("export."))).all() == []
    assert client.get(f"/events/{event.id}/checkins.xlsx?phones=full").status_code == 200
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action.startswith("export."))).all()
    assert [(e.action, e.actor_id, e.object_type, e.object_id, e.organization_id) for e in entries] == [
        ("export.full_phones", tree["org_a"].id, "event", event.id, tree["a"].id)]
    login(tree["viewer_a"])  # may not have full numbers: refused, and nothing logged
    assert client.get(f"/events/{event.id}/checkins.xlsx?phones=full").status_code == 403
    assert len(db.session.scalars(select(AuditEntry).where(AuditEntry.action.startswith("export."))).all()) == 1
