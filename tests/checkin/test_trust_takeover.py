"""Issue 8 §1: a typed phone number is not a key. Stored details and tickets need proof of the phone."""
from __future__ import annotations

import base64
import re
from datetime import timedelta

from sqlalchemy import func, select

from eventsvc.checkin.models import CheckIn, Participant, Registration
from eventsvc.checkin.operations import register, upsert_participant
from eventsvc.core.timeutil import utcnow
from eventsvc.extensions import db

VICTIM = {"name": "张三", "phone": "13812345678", "workplace": "坂田华为基地", "group": "外卖员"}
TYPED = {"name": "冒名者", "phone": "13812345678", "workplace": "", "group": "", "consent": "y"}


def text(resp) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.get_data(as_text=True)))


def _victim_registered(reg_event):  # type: ignore[no-untyped-def]
    reg = register(reg_event, VICTIM, by=None)
    db.session.commit()
    return reg


def _reg_event(create_event, **fields):  # type: ignore[no-untyped-def]
    """An event under way whose registration is still open (so both forms work now)."""
    return create_event(registration_mode="on", starts_in=timedelta(minutes=-10),
                        registration_closes_at=utcnow() + timedelta(hours=1), **fields)


def test_typing_a_known_phone_shows_no_stored_name_or_workplace(app, create_event, create_check_in):
    event = create_event()
    victim = upsert_participant(**VICTIM, by=None)
    db.session.commit()
    create_check_in(create_event(), victim)  # known from an earlier event
    attacker = app.test_client()
    page = text(attacker.post(f"/c/{event.code}", data=TYPED, follow_redirects=True))
    assert "签到成功" in page and "冒名者" in page
    assert "张三" not in page and "坂田华为基地" not in page
    # A repeat answers "already" without naming the person either.
    again = text(app.test_client().post(f"/c/{event.code}", data={**TYPED, "name": "另一人"}, follow_redirects=True))
    assert "已于" in again and "张三" not in again and "冒名者" not in again
    db.session.expire_all()
    assert db.session.scalar(select(Participant.name)) == "张三"  # never renamed by a worker's form
    record = db.session.scalar(select(CheckIn).where(CheckIn.event_id == event.id))
    assert record.name_given == "冒名者"


def test_typing_a_registered_phone_on_the_register_page_shows_no_ticket(app, create_event):
    event = _reg_event(create_event)
    reg = _victim_registered(event)
    attacker = app.test_client()
    resp = attacker.post(f"/c/{event.code}/register", data=TYPED)
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/c/{event.code}/verify")
    page = attacker.get(resp.headers["Location"])
    body = page.get_data(as_text=True)
    assert "验证手机号" in body and "138****5678" in body
    for secret in (reg.token, "张三", "坂田华为基地", "13812345678"):
        assert secret not in body
    # Nor does the check-in page's registration box offer their ticket afterwards.
    assert reg.token not in attacker.get(f"/c/{event.code}").get_data(as_text=True)


def test_with_a_verified_code_the_owner_reaches_the_ticket(app, create_event):
    event = _reg_event(create_event)
    reg = _victim_registered(event)
    owner = app.test_client()
    owner.post(f"/c/{event.code}/register", data={**VICTIM, "consent": "y"})
    sent = owner.post(f"/c/{event.code}/verify/send", follow_redirects=True)
    body = sent.get_data(as_text=True)
    assert "开发模式" in body
    code = re.search(r'class="code">(\d{6})<', body).group(1)  # type: ignore[union-attr]
    wrong = owner.post(f"/c/{event.code}/verify", data={"code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 400 and "验证码不正确" in wrong.get_data(as_text=True)
    ok = owner.post(f"/c/{event.code}/verify", data={"code": code})
    assert ok.status_code == 303 and ok.headers["Location"].endswith(f"/t/{reg.token}")
    ticket = text(owner.get(f"/t/{reg.token}"))
    assert "张三" in ticket and "坂田华为基地" in ticket
    # The phone now remembers the ticket: the register page leads straight to it.
    assert owner.get(f"/c/{event.code}/register").headers["Location"].endswith(f"/t/{reg.token}")


def test_five_wrong_codes_use_up_the_code(app, create_event):
    event = _reg_event(create_event)
    _victim_registered(event)
    guesser = app.test_client()
    guesser.post(f"/c/{event.code}/register", data=TYPED)
    guesser.post(f"/c/{event.code}/verify/send")
    answers = [text(guesser.post(f"/c/{event.code}/verify", data={"code": f"{n:06d}"})) for n in range(6)]
    assert "错误次数过多" in answers[-1] or "已失效" in answers[-1]


def test_registered_phone_at_the_venue_needs_the_ticket_or_a_code(app, create_event):
    event = _reg_event(create_event, requires_registration=True)
    reg = _victim_registered(event)
    attacker = app.test_client()
    resp = attacker.post(f"/c/{event.code}", data=TYPED)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/verify")
    assert db.session.scalar(select(func.count(CheckIn.id))) == 0
    # The owner, who opened their ticket link on this phone, checks in with one tap.
    owner = app.test_client()
    owner.get(f"/t/{reg.token}")
    done = owner.post(f"/c/{event.code}", data={**VICTIM, "consent": "y"}, follow_redirects=True)
    assert "签到成功" in text(done)
    record = db.session.scalar(select(CheckIn))
    assert record.registration_id == reg.id


def test_a_code_also_admits_the_registered_owner(app, create_event):
    event = _reg_event(create_event, requires_registration=True)
    _victim_registered(event)
    owner = app.test_client()
    owner.post(f"/c/{event.code}", data={**VICTIM, "consent": "y"})
    body = owner.post(f"/c/{event.code}/verify/send", follow_redirects=True).get_data(as_text=True)
    code = re.search(r'class="code">(\d{6})<', body).group(1)  # type: ignore[union-attr]
    done = owner.post(f"/c/{event.code}/verify", data={"code": code}, follow_redirects=True)
    assert "签到成功" in text(done)
    assert db.session.scalar(select(func.count(CheckIn.id))) == 1


def test_ticket_created_by_typing_a_known_phone_shows_what_was_typed(app, create_event):
    upsert_participant(**VICTIM, by=None)
    db.session.commit()
    event = _reg_event(create_event)
    attacker = app.test_client()
    resp = attacker.post(f"/c/{event.code}/register", data={**TYPED, "workplace": "别处"}, follow_redirects=True)
    page = text(resp)
    assert "报名电子票" in page and "冒名者" in page and "别处" in page
    assert "张三" not in page and "坂田华为基地" not in page
    assert db.session.scalar(select(Registration.name_given)) == "冒名者"


def test_the_device_cookie_never_holds_the_phone_in_clear(client, create_event):
    event = create_event()
    resp = client.post(f"/c/{event.code}", data=TYPED)
    cookie = next(h for h in resp.headers.getlist("Set-Cookie") if h.startswith("evs_person="))
    value = cookie.split(";")[0].split("=", 1)[1].strip('"').removeprefix("s1.")  # the format's tag
    padded = value + "=" * (-len(value) % 4)
    decoded = base64.urlsafe_b64decode(padded.encode())
    assert "13812345678" not in cookie and b"13812345678" not in decoded and "冒名者".encode() not in decoded


def test_a_remembered_cookie_cannot_check_someone_out(app, create_event, create_check_in):
    event = create_event(checkout_enabled=True)
    victim = upsert_participant(**VICTIM, by=None)
    db.session.commit()
    create_check_in(event, victim)
    attacker = app.test_client()
    attacker.post(f"/c/{event.code}", data=TYPED)  # "already checked in"; the cookie now names the phone
    page = text(attacker.post(f"/c/{event.code}/checkout"))
    assert "没有找到您在本场活动的签到记录" in page
    assert db.session.scalar(select(CheckIn.checked_out_at)) is None
