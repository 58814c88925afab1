"""An organizer voids a mistaken check-in from the attendee list: reason required, row kept, not counted."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from eventsvc.audit.models import AuditEntry
from eventsvc.checkin.models import CheckIn
from eventsvc.extensions import db
from eventsvc.progress.counters import verify as verify_counts
from eventsvc.progress.queries import totals_by_program


@pytest.fixture
def attended(create_event, create_program, create_check_in, create_participant, tree):  # type: ignore[no-untyped-def]
    program = create_program(org=tree["a"])
    event = create_event(program=program, org=tree["a"], starts_in=timedelta(minutes=-30))
    wrong = create_check_in(event, create_participant(name="刘洋", phone="13712345678"))
    right = create_check_in(event, create_participant(name="陈静", phone="13787654321"))
    return {"event": event, "program": program, "wrong": wrong, "right": right}


def _attendances(program_id: int) -> int:
    db.session.expire_all()
    return totals_by_program([program_id])[program_id].attendances


def test_organizer_voids_with_reason_row_kept_not_counted_and_audited(client, login, tree, attended):
    event, wrong = attended["event"], attended["wrong"]
    assert _attendances(attended["program"].id) == 2
    login(tree["org_a"])
    resp = client.post(f"/check-ins/{wrong.id}/void", data={"reason": "扫错了人"})
    assert resp.status_code == 303
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "已作废 刘洋 的签到" in page and "原因：扫错了人" in page and "已作废" in page

    db.session.expire_all()
    stored = db.session.get(CheckIn, wrong.id)
    assert stored is not None and stored.voided_at is not None  # the row stays
    assert stored.void_reason == "扫错了人" and stored.voided_by_id == tree["org_a"].id
    assert _attendances(attended["program"].id) == 1
    live = client.get(f"/api/events/{event.id}/stats").get_json()
    assert live["count"] == 1
    assert verify_counts().lines == []  # the maintained counters (R7) agree with the rows
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "checkin.void"))
    assert entry.actor_id == tree["org_a"].id and entry.object_id == wrong.id
    assert "扫错了人" in entry.summary and "13712345678" not in entry.summary + str(entry.changes)
    # Voiding again is refused, nothing new recorded.
    again = client.post(f"/check-ins/{wrong.id}/void", data={"reason": "再来一次"}, follow_redirects=True)
    assert "该签到已作废" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "checkin.void")) == 1
    # An organizer may still undo (delete) it later; the counts stay right.
    assert client.post(f"/api/check-ins/{wrong.id}/undo", json={}).get_json()["ok"] is True
    db.session.expire_all()
    assert verify_counts().lines == [] and _attendances(attended["program"].id) == 1


def test_void_needs_a_reason(client, login, tree, attended):
    login(tree["org_a"])
    resp = client.post(f"/check-ins/{attended['wrong'].id}/void", data={"reason": "  "}, follow_redirects=True)
    assert "请填写作废原因" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(CheckIn, attended["wrong"].id).voided_at is None
    assert _attendances(attended["program"].id) == 2


@pytest.mark.parametrize("who, status", [("checker_a", 403), ("viewer_a", 403), ("org_b", 404)])
def test_only_organizers_of_the_unit_void(client, login, tree, attended, who, status):
    login(tree[who])
    resp = client.post(f"/check-ins/{attended['wrong'].id}/void", data={"reason": "x"})
    assert resp.status_code == status
    db.session.expire_all()
    assert db.session.get(CheckIn, attended["wrong"].id).voided_at is None


def test_void_form_shown_to_organizer_only(client, login, tree, attended):
    url = f"/events/{attended['event'].id}"
    login(tree["org_a"])
    assert f"/check-ins/{attended['wrong'].id}/void" in client.get(url).get_data(as_text=True)
    login(tree["checker_a"])
    assert "/void" not in client.get(url).get_data(as_text=True)
