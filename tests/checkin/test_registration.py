"""Registration ahead (报名): capacity, waitlist promotion, window, tickets, public pages, staff list."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from eventsvc.checkin.models import (
    CANCELLED,
    REGISTERED,
    WAITLISTED,
    CheckIn,
    Registration,
)
from eventsvc.checkin.operations import (
    CheckInRefused,
    cancel_registration,
    check_in,
    check_in_by_ticket,
    promote_waitlisted,
    register,
    upsert_participant,
)
from eventsvc.core.exceptions import OperationError
from eventsvc.core.timeutil import utcnow
from eventsvc.extensions import db


def person(n: int) -> dict[str, str]:
    return {"name": f"报名职工{n}", "phone": f"1380000{n:04d}", "workplace": "美团配送", "group": "外卖员"}


@pytest.fixture
def reg_event(create_event, create_program, tree):  # type: ignore[no-untyped-def]
    """An event of street A starting in 30 min: registration open until the start, check-in already open."""

    def make(**fields):  # type: ignore[no-untyped-def]
        fields.setdefault("registration_mode", "on")
        program = create_program(org=tree["a"])
        return create_event(program=program, org=tree["a"], starts_in=timedelta(minutes=30), **fields)

    return make


def test_capacity_then_waitlist_then_promotion_on_cancel(reg_event):
    event = reg_event(registration_capacity=2, waitlist_enabled=True)
    first, second, third, fourth = (register(event, person(i), by=None) for i in range(4))
    db.session.commit()
    assert [r.status for r in (first, second, third, fourth)] == [REGISTERED, REGISTERED, WAITLISTED, WAITLISTED]

    promoted = cancel_registration(second, by=None)
    db.session.commit()
    assert second.status == CANCELLED and second.cancelled_at is not None
    assert promoted is third and third.status == REGISTERED and third.promoted_at is not None
    assert fourth.status == WAITLISTED
    seats = db.session.scalar(select(func.count()).where(Registration.event_id == event.id,
                                                         Registration.status == REGISTERED))
    assert seats == 2


def test_promotion_takes_the_actor_and_refuses_one_out_of_scope(reg_event, tree):
    event = reg_event(registration_capacity=1, waitlist_enabled=True)
    seated, waiting = register(event, person(1), by=None), register(event, person(2), by=None)
    seated.status = CANCELLED  # a seat freed without the operation (e.g. fixed by hand in the database)
    db.session.flush()
    with pytest.raises(OperationError) as refused:
        promote_waitlisted(event, by=tree["org_b"])
    assert refused.value.code == "forbidden" and waiting.status == WAITLISTED
    assert promote_waitlisted(event, by=tree["org_a"]) is waiting and waiting.status == REGISTERED
    assert promote_waitlisted(event, by=None) is None  # the seat is taken again: nobody else moves up


def test_cancelling_a_waitlisted_one_promotes_nobody(reg_event):
    event = reg_event(registration_capacity=1)
    register(event, person(1), by=None)
    waiting = register(event, person(2), by=None)
    assert cancel_registration(waiting, by=None) is None
    assert waiting.status == CANCELLED


def test_full_event_without_waitlist_refuses(reg_event):
    event = reg_event(registration_capacity=1, waitlist_enabled=False)
    register(event, person(1), by=None)
    with pytest.raises(OperationError) as exc:
        register(event, person(2), by=None)
    assert exc.value.code == "full" and "已满" in exc.value.message


def test_repeat_registration_returns_the_same_and_reregistering_reactivates(reg_event):
    event = reg_event(registration_capacity=1)
    reg = register(event, person(1), by=None)
    assert register(event, person(1), by=None) is reg
    cancel_registration(reg, by=None)
    other = register(event, person(2), by=None)  # takes the freed seat
    again = register(event, person(1), by=None)
    assert again.id == reg.id and again.token == reg.token
    assert other.status == REGISTERED and again.status == WAITLISTED and again.cancelled_at is None
    assert db.session.scalar(select(func.count(Registration.id))) == 2


def test_registration_window(reg_event):
    now = utcnow()
    not_yet = reg_event(registration_opens_at=now + timedelta(hours=1))
    with pytest.raises(OperationError) as exc:
        register(not_yet, person(1), by=None)
    assert exc.value.code == "registration_not_open" and "尚未开始" in exc.value.message

    closed = reg_event(registration_closes_at=now - timedelta(minutes=1))
    with pytest.raises(OperationError) as exc:
        register(closed, person(1), by=None)
    assert exc.value.code == "registration_closed"

    off = reg_event(registration_mode="off")
    with pytest.raises(OperationError) as exc:
        register(off, person(1), by=None)
    assert exc.value.code == "registration_off"


def test_organizer_may_add_beyond_capacity_and_window(reg_event, tree):
    event = reg_event(registration_capacity=1, registration_closes_at=utcnow() - timedelta(hours=1))
    a = register(event, person(1), by=tree["org_a"])
    b = register(event, person(2), by=tree["org_a"])
    assert a.status == b.status == REGISTERED
    with pytest.raises(OperationError):
        register(event, person(3), by=tree["org_b"])  # another street
    with pytest.raises(OperationError):
        register(event, person(3), by=tree["checker_a"])  # checkers scan, they do not manage


def test_tickets_of_another_event_cancelled_or_waitlisted_are_refused(reg_event, tree):
    event = reg_event(registration_capacity=1)
    other = reg_event()
    mine = register(event, person(1), by=None)
    waiting = register(event, person(2), by=None)
    foreign = register(other, person(3), by=None)
    gone = register(other, person(4), by=None)
    db.session.commit()
    checker = tree["checker_a"]

    def refused(token: str) -> str:
        with pytest.raises(CheckInRefused) as exc:
            check_in_by_ticket(event, token, by=checker)
        return exc.value.code

    assert refused(foreign.token) == "wrong_event"
    assert refused(waiting.token) == "waitlisted"
    assert refused("no-such-ticket-token") == "not_registered"
    cancel_registration(mine, by=None)
    assert refused(mine.token) == "cancelled_ticket"
    assert refused(f"http://x/c/{event.code}") == "not_a_ticket"
    assert gone.status == REGISTERED
    assert db.session.scalar(select(func.count(CheckIn.id))) == 0


def test_ticket_outside_the_check_in_window_is_refused(reg_event, tree):
    event = reg_event(checkin_opens_at=utcnow() + timedelta(minutes=20))
    reg = register(event, person(1), by=None)
    with pytest.raises(CheckInRefused) as exc:
        check_in_by_ticket(event, reg.token, by=tree["checker_a"])
    assert exc.value.code == "not_open"


def test_requires_registration_refuses_unregistered_scans_but_staff_may_admit(reg_event, tree):
    event = reg_event(requires_registration=True)
    walker = upsert_participant("路人", "13900001111", by=None)
    with pytest.raises(CheckInRefused) as exc:
        check_in(event, walker, by=None, method="self")
    assert exc.value.code == "registration_required" and "需提前报名" in exc.value.message
    assert check_in(event, walker, by=tree["checker_a"], method="manual").created
    reg = register(event, person(1), by=None)
    with pytest.raises(CheckInRefused):  # a self check-in names the ticket it holds: the phone alone is not proof
        check_in(event, reg.participant, by=None, method="self")
    result = check_in(event, reg.participant, by=None, method="self", registration=reg)
    assert result.created and result.check_in.registration_id == reg.id


def test_cancel_after_check_in_is_refused(reg_event, tree):
    event = reg_event()
    reg = register(event, person(1), by=None)
    check_in_by_ticket(event, reg.token, by=tree["checker_a"])
    with pytest.raises(OperationError) as exc:
        cancel_registration(reg, by=None)
    assert exc.value.code == "already_checked_in"


# -- public pages ----------------------------------------------------------------------------


def _register_via_page(client, event, n: int = 1):  # type: ignore[no-untyped-def]
    data = dict(person(n), consent="y")
    return client.post(f"/c/{event.code}/register", data=data)


def test_register_page_leads_to_ticket_with_qr_and_remembers_the_phone(client, reg_event):
    import zxingcpp

    event = reg_event(registration_capacity=10)
    page = client.get(f"/c/{event.code}/register")
    assert page.status_code == 200 and "提交报名" in page.get_data(as_text=True)

    resp = _register_via_page(client, event)
    assert resp.status_code == 303
    reg = db.session.scalar(select(Registration))
    assert resp.headers["Location"].endswith(f"/t/{reg.token}")
    assert "evs_person=" in resp.headers.get("Set-Cookie", "")

    ticket = client.get(f"/t/{reg.token}")
    html = ticket.get_data(as_text=True)
    assert ticket.status_code == 200
    assert event.title in html and "报名职工1" in html and "138****0001" in html and "<svg" in html
    assert str(reg.id) not in re.findall(r"/t/([^\"'<]+)", html)  # the QR carries the token, not an id

    png = client.get(f"/t/{reg.token}.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    assert decoded and decoded[0].text.endswith(f"/t/{reg.token}")

    # The same phone comes back to the register page: it goes straight to the ticket.
    again = client.get(f"/c/{event.code}/register")
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/t/{reg.token}")


def test_register_page_shows_errors_and_full_state(client, reg_event):
    event = reg_event(registration_capacity=1)
    resp = client.post(f"/c/{event.code}/register", data={"name": "", "phone": "123"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "请填写姓名" in html and "请阅读并同意" in html
    assert db.session.scalar(select(func.count(Registration.id))) == 0
    register(event, person(9), by=None)
    db.session.commit()
    assert "候补名单" in client.get(f"/c/{event.code}/register").get_data(as_text=True)


def test_worker_cancels_from_ticket_with_confirmation(client, reg_event):
    event = reg_event(registration_capacity=1)
    _register_via_page(client, event, 1)
    waiting = register(event, person(2), by=None)
    db.session.commit()
    reg = db.session.scalar(select(Registration).where(Registration.participant_id != waiting.participant_id))

    client.post(f"/t/{reg.token}/cancel", data={})
    assert db.session.get(Registration, reg.id).status == REGISTERED  # no confirmation, nothing changed
    resp = client.post(f"/t/{reg.token}/cancel", data={"confirm": "yes"}, follow_redirects=True)
    assert "已取消报名" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, reg.id).status == CANCELLED
    assert db.session.get(Registration, waiting.id).status == REGISTERED
    assert "候补中" not in client.get(f"/t/{waiting.token}").get_data(as_text=True)


def test_unknown_ticket_is_a_friendly_404(client, app):
    resp = client.get("/t/not-a-real-token-at-all")
    assert resp.status_code == 404 and "未找到电子票" in resp.get_data(as_text=True)


def test_public_partial_links_to_registration(app, reg_event):
    from flask import render_template_string

    event = reg_event(requires_registration=True)
    with app.test_request_context():
        html = render_template_string('{% include "checkin/_public_registration.html" %}', event=event, person=None)
    assert "需提前报名" in html and f"/c/{event.code}/register" in html


# -- staff pages -----------------------------------------------------------------------------


def test_staff_list_add_and_cancel(login, client, reg_event, tree):
    event = reg_event(registration_capacity=1)
    register(event, person(1), by=None)
    register(event, person(2), by=None)
    db.session.commit()
    login(tree["org_a"])
    html = client.get(f"/events/{event.id}/registrations").get_data(as_text=True)
    assert "报名职工1" in html and "138****0001" in html and "候补中" in html and "13800000001" not in html

    waitlisted = client.get(f"/events/{event.id}/registrations?status=waitlisted").get_data(as_text=True)
    assert "报名职工2" in waitlisted and "报名职工1" not in waitlisted

    first = db.session.scalar(select(Registration).order_by(Registration.id))
    resp = client.post(f"/registrations/{first.id}/cancel", follow_redirects=True)
    assert "候补的 报名职工2 已获得名额" in resp.get_data(as_text=True)

    # An organizer's addition is not held to the capacity (they decide who gets in).
    resp = client.post(f"/events/{event.id}/registrations", data=person(3))
    assert resp.status_code == 303
    added = db.session.scalar(select(Registration).order_by(Registration.id.desc()))
    assert added.participant.name == "报名职工3" and added.status == REGISTERED and added.by_user_id == tree["org_a"].id


def test_staff_registration_permissions(login, client, reg_event, tree):
    event = reg_event()
    reg = register(event, person(1), by=None)
    db.session.commit()
    anon = client.get(f"/events/{event.id}/registrations")
    assert anon.status_code == 302 and "/login" in anon.headers["Location"]
    login(tree["viewer_a"])
    assert client.get(f"/events/{event.id}/registrations").status_code == 200
    assert client.post(f"/events/{event.id}/registrations", data=person(2)).status_code == 403
    assert client.post(f"/registrations/{reg.id}/cancel").status_code == 403
    login(tree["org_b"])
    assert client.get(f"/events/{event.id}/registrations").status_code == 404
    assert client.post(f"/registrations/{reg.id}/cancel").status_code == 404
    assert db.session.get(Registration, reg.id).status == REGISTERED
