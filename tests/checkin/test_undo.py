"""Undoing a mistaken check-in: who may, until when, what it leaves behind."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from eventsvc.audit.models import AuditEntry
from eventsvc.checkin.models import CheckIn
from eventsvc.checkin.operations import register
from eventsvc.core.timeutil import utcnow
from eventsvc.extensions import db
from tests.checkin.scanning import scan_once


@pytest.fixture
def scanned(login, client, create_event, create_program, tree):  # type: ignore[no-untyped-def]
    """A ticket checked in by checker_a through the scanner API."""
    program = create_program(org=tree["a"])
    event = create_event(program=program, org=tree["a"], starts_in=timedelta(minutes=30), registration_mode="on")
    reg = register(event, {"name": "误扫的人", "phone": "13512345678"}, by=None)
    db.session.commit()
    login(tree["checker_a"])
    data = scan_once(client, event, code=reg.token)
    assert data["stats"]["checked_in"] == 1
    return {"event": event, "reg": reg, "check_in_id": data["result"]["check_in_id"], "tree": tree}


def test_undo_by_same_checker_restores_counts_and_leaves_a_record(client, scanned):
    event = scanned["event"]
    resp = client.post(f"/api/check-ins/{scanned['check_in_id']}/undo", json={"reason": "扫错了"})
    data = resp.get_json()
    assert resp.status_code == 200 and data["ok"] and "误扫的人" in data["message"]
    assert data["stats"]["checked_in"] == 0
    assert db.session.scalar(select(func.count(CheckIn.id))) == 0
    undo = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "checkin.undo"))
    checker_id = scanned["tree"]["checker_a"].id
    assert undo.actor_id == checker_id and undo.changes["by_user_id"] == checker_id
    assert undo.changes["reason"] == "扫错了" and undo.changes["method"] == "staff" and undo.at is not None
    assert undo.object_id == scanned["check_in_id"] and undo.organization_id == event.organization_id
    assert "13512345678" not in undo.summary + str(undo.changes)
    # The ticket is usable again: a new scan checks the person in afresh.
    again = scan_once(client, event, code=scanned["reg"].token)
    assert again["result"]["outcome"] == "success" and again["stats"]["checked_in"] == 1


def test_checker_cannot_undo_after_the_window_but_an_organizer_can(client, login, scanned):
    record = db.session.get(CheckIn, scanned["check_in_id"])
    record.checked_in_at = utcnow() - timedelta(minutes=30)
    db.session.commit()
    late = client.post(f"/api/check-ins/{record.id}/undo", json={})
    assert late.status_code == 409 and late.get_json()["code"] == "undo_expired"
    assert "分钟内" in late.get_json()["error"]
    assert db.session.scalar(select(func.count(CheckIn.id))) == 1
    login(scanned["tree"]["org_a"])
    assert client.post(f"/api/check-ins/{record.id}/undo", json={}).get_json()["ok"] is True
    undone_by = select(AuditEntry.actor_id).where(AuditEntry.action == "checkin.undo")
    assert db.session.scalar(undone_by) == scanned["tree"]["org_a"].id


def test_others_cannot_undo(client, login, scanned, create_user):
    other_checker = create_user("checker", scanned["tree"]["a"], "checker_a2")
    login(other_checker)
    resp = client.post(f"/api/check-ins/{scanned['check_in_id']}/undo", json={})
    assert resp.status_code == 409 and resp.get_json()["ok"] is False  # not theirs, not an organizer
    login(scanned["tree"]["org_b"])
    assert client.post(f"/api/check-ins/{scanned['check_in_id']}/undo", json={}).status_code == 404
    login(scanned["tree"]["viewer_a"])
    assert client.post(f"/api/check-ins/{scanned['check_in_id']}/undo", json={}).status_code == 403
    assert db.session.scalar(select(func.count(CheckIn.id))) == 1
    undos = select(func.count(AuditEntry.id)).where(AuditEntry.action == "checkin.undo")
    assert db.session.scalar(undos) == 0
