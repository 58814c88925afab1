"""Check-out (签退): by the worker from the phone, by staff in the scanner; duration is kept."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import render_template_string
from sqlalchemy import select

from eventsvc.checkin.models import CheckIn
from eventsvc.checkin.operations import check_in, register, upsert_participant
from eventsvc.checkin.tokens import dump_person
from eventsvc.core.timeutil import utcnow
from eventsvc.extensions import db
from tests.checkin.scanning import scan_once

DETAILS = {"name": "培训学员", "phone": "13566667777", "workplace": "龙岗环卫", "group": "环卫工人"}


@pytest.fixture
def training(create_event, create_program, tree):  # type: ignore[no-untyped-def]
    program = create_program(org=tree["a"])
    return create_event(program=program, org=tree["a"], starts_in=timedelta(minutes=-60), hours=3,
                        checkout_enabled=True, registration_mode="on")


def _checked_in(event, minutes_ago: int = 50) -> CheckIn:  # type: ignore[no-untyped-def]
    person = upsert_participant(**DETAILS, by=None)
    record = check_in(event, person, by=None, method="self", at=utcnow() - timedelta(minutes=minutes_ago))
    db.session.commit()
    return record.check_in


def test_worker_checks_out_with_the_remembered_cookie(client, training):
    record = _checked_in(training)
    client.set_cookie("evs_person", dump_person(DETAILS, verified=True))  # the phone was proven here
    resp = client.post(f"/c/{training.code}/checkout")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "签退成功" in html and "在场 50 分钟" in html
    db.session.refresh(record)
    assert record.checked_out_at is not None and record.checked_out_by_id is None and record.duration_minutes == 50
    first = record.checked_out_at
    client.post(f"/c/{training.code}/checkout")  # a second tap keeps the first time
    db.session.refresh(record)
    assert record.checked_out_at == first


def test_worker_checks_out_with_the_ticket(client, training, tree):
    reg = register(training, DETAILS, by=tree["org_a"])  # the event has started: only staff may add now
    db.session.commit()
    record = _checked_in(training, 30)
    page = client.get(f"/t/{reg.token}").get_data(as_text=True)
    assert "已签到" in page and f"/c/{training.code}/checkout" in page
    resp = client.post(f"/c/{training.code}/checkout", data={"token": reg.token})
    assert "签退成功" in resp.get_data(as_text=True)
    db.session.refresh(record)
    assert record.checked_out_at is not None


def test_unknown_person_or_disabled_event_cannot_check_out(client, training, create_event):
    resp = client.post(f"/c/{training.code}/checkout")
    assert "没有找到您在本场活动的签到记录" in resp.get_data(as_text=True)
    plain = create_event(starts_in=timedelta(minutes=-10))
    person = upsert_participant(**DETAILS, by=None)
    check_in(plain, person, by=None, method="self")
    db.session.commit()
    client.set_cookie("evs_person", dump_person(DETAILS, verified=True))  # the phone was proven here
    assert "不需要签退" in client.post(f"/c/{plain.code}/checkout").get_data(as_text=True)
    assert db.session.scalar(select(CheckIn.checked_out_at).where(CheckIn.event_id == plain.id)) is None


def test_partial_offers_the_button_then_shows_the_times(app, training):
    record = _checked_in(training)
    template = '{% include "checkin/_public_checkout.html" %}'
    with app.test_request_context():
        before = render_template_string(template, event=training, check_in=record)
        record.checked_out_at = record.checked_in_at + timedelta(minutes=95)
        after = render_template_string(template, event=training, check_in=record)
    assert "签退</button>" in before and f"/c/{training.code}/checkout" in before
    assert "在场 95 分钟" in after and "<form" not in after


def test_staff_check_out_in_the_scanner(login, client, training, tree):
    reg = register(training, DETAILS, by=tree["org_a"])
    other = register(training, {"name": "未到", "phone": "13500001111"}, by=tree["org_a"])
    db.session.commit()
    login(tree["checker_a"])

    def scan(token: str, mode: str) -> dict:
        return scan_once(client, training, code=token, mode=mode)

    assert scan(reg.token, "in")["result"]["outcome"] == "success"
    out = scan(reg.token, "out")
    assert out["result"]["outcome"] == "checked_out" and out["result"]["title"] == "签退成功"
    assert out["stats"]["checked_out"] == 1 and out["result"]["checked_out_at"]
    assert scan(reg.token, "out")["result"]["outcome"] == "already_out"
    refused = scan(other.token, "out")["result"]
    assert refused["outcome"] == "refused_out" and refused["code"] == "not_checked_in"
    stored = db.session.scalar(select(CheckIn))
    assert stored.checked_out_by_id == tree["checker_a"].id and stored.duration_minutes is not None
