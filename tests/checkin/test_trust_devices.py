"""Issue 8 §2: counts that can be trusted. One phone inventing people gets them held as 待核实."""
from __future__ import annotations

import re
import time

import pytest
import time_machine
from sqlalchemy import func, select

from eventsvc.audit.models import AuditEntry
from eventsvc.checkin.models import CHECKIN_CONFIRMED, CHECKIN_PENDING, CheckIn
from eventsvc.checkin.operations import confirm_check_in, reject_check_in
from eventsvc.checkin.queries import event_stats
from eventsvc.checkin.tokens import make_dynamic_code
from eventsvc.core.exceptions import OperationError
from eventsvc.extensions import db
from eventsvc.progress.queries import event_attendance, pending_by_program, totals_by_program

WECHAT = "Mozilla/5.0 (Linux; Android 12) AppleWebKit/537.36 Chrome/107.0 Mobile MicroMessenger/8.0.40"


def fake(n: int) -> dict[str, str]:
    return {"name": f"假人{n}", "phone": f"1390000{n:04d}", "workplace": "", "group": "", "consent": "y"}


def statuses(event) -> dict[str, int]:  # type: ignore[no-untyped-def]
    rows = db.session.execute(select(CheckIn.status, func.count(CheckIn.id))
                              .where(CheckIn.event_id == event.id).group_by(CheckIn.status))
    return dict(rows.all())  # type: ignore[arg-type]


def test_500_fakes_from_one_device_count_at_most_the_limit(app, create_event, create_program, tree):
    program = create_program(org=tree["a"])
    event = create_event(program=program, org=tree["a"])
    script = app.test_client()
    script.get(f"/c/{event.code}", headers={"User-Agent": WECHAT})  # the one device cookie
    for n in range(500):
        resp = script.post(f"/c/{event.code}", data=fake(n), headers={"User-Agent": WECHAT})
        assert resp.status_code == 303
    assert statuses(event) == {"ok": 3, "pending": 497}  # stored, but held
    assert event_stats(event)["checked_in"] == 3 and event_stats(event)["pending"] == 497
    totals = totals_by_program([program.id])[program.id]
    assert totals.participants == 3 and event_attendance([event.id]) == {event.id: 3}
    assert pending_by_program([program.id]) == {program.id: 497}
    last = db.session.scalar(select(CheckIn).where(CheckIn.status == CHECKIN_PENDING).order_by(CheckIn.id.desc()))
    assert last.device_hash and last.client_ip == "127.0.0.0/24" and last.user_agent == "微信 Android"
    assert "同一手机已为本场" in last.pending_reason
    page = script.get(f"/c/{event.code}/done").get_data(as_text=True)
    assert "待核实" in page and "签到成功" not in page

    # An organizer confirms one: it counts. Another is rejected: it is gone, the audit log keeps it.
    confirm_check_in(last, by=tree["org_a"])
    db.session.commit()
    assert last.status == CHECKIN_CONFIRMED and event_stats(event)["checked_in"] == 4
    assert totals_by_program([program.id])[program.id].participants == 4
    other = db.session.scalar(select(CheckIn).where(CheckIn.status == CHECKIN_PENDING).limit(1))
    reject_check_in(other, by=tree["org_a"], reason="无此人")
    db.session.commit()
    assert statuses(event) == {"ok": 3, "confirmed": 1, "pending": 495}
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"checkin.confirm", "checkin.reject"} <= actions


def test_only_an_organizer_of_the_unit_decides(create_event, create_program, tree, create_participant):
    event = create_event(program=create_program(org=tree["a"]), org=tree["a"])
    record = CheckIn(event_id=event.id, participant_id=create_participant().id, method="self",
                     status=CHECKIN_PENDING, pending_reason="测试")
    db.session.add(record)
    db.session.commit()
    for user in (tree["checker_a"], tree["org_b"]):
        with pytest.raises(OperationError):
            confirm_check_in(record, by=user)


def test_staff_event_page_lists_pending_with_reason_and_confirms(login, client, app, create_event,
                                                                 create_program, tree):
    event = create_event(program=create_program(org=tree["a"]), org=tree["a"])
    phone = app.test_client()
    for n in range(5):
        phone.post(f"/c/{event.code}", data=fake(n))
    login(tree["org_a"])
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "待核实签到（2）" in page and "同一手机已为本场 3 人签到" in page
    pending_id = int(re.search(r'/check-ins/(\d+)/confirm', page).group(1))  # type: ignore[union-attr]
    resp = client.post(f"/check-ins/{pending_id}/confirm", follow_redirects=True)
    assert "计入人次" in resp.get_data(as_text=True)
    assert statuses(event) == {"ok": 3, "confirmed": 1, "pending": 1}


def test_helping_a_few_colleagues_is_not_held(app, create_event):
    event = create_event()
    phone = app.test_client()
    for n in range(3):
        phone.post(f"/c/{event.code}", data=fake(n))
    assert statuses(event) == {"ok": 3}


def test_dynamic_code_grace_admits_at_most_the_limit_from_one_device(app, create_event):
    event = create_event(qr_mode="dynamic")
    script = app.test_client()
    with app.test_request_context():
        token = make_dynamic_code(event.code)
    assert script.get(f"/c/{event.code}?t={token}").status_code == 200
    app.config["DYNAMIC_QR_VALID_SECONDS"] = 0  # the code has now expired: only the form grace is left
    try:
        with time_machine.travel(time.time() + 2):  # codes are stamped in whole seconds
            answers = [script.post(f"/c/{event.code}", data={**fake(n), "t": token}) for n in range(6)]
    finally:
        app.config["DYNAMIC_QR_VALID_SECONDS"] = 60
    assert [a.status_code for a in answers[:3]] == [303, 303, 303]
    assert all("二维码已过期" in a.get_data(as_text=True) for a in answers[3:])
    assert db.session.scalar(select(func.count(CheckIn.id))) == 3


def test_dashboard_and_program_page_say_how_many_are_pending(login, client, app, create_event, create_program,
                                                             tree):
    program = create_program(org=tree["a"])
    event = create_event(program=program, org=tree["a"])
    phone = app.test_client()
    for n in range(5):
        phone.post(f"/c/{event.code}", data=fake(n))
    login(tree["org_a"])
    assert "待核实 2" in client.get("/").get_data(as_text=True)
    assert "待核实 2" in client.get(f"/programs/{program.id}").get_data(as_text=True)
