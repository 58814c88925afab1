"""Public check-in: dynamic QR codes, CSRF enforcement, and no database ids on the pages."""
from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
import time_machine
from flask import Flask
from itsdangerous import TimestampSigner
from sqlalchemy import func, select, text

from eventsvc import create_app
from eventsvc.checkin.models import CheckIn, Participant
from eventsvc.checkin.tokens import make_dynamic_code
from eventsvc.core.timeutil import utcnow
from eventsvc.events.models import Event
from eventsvc.extensions import db as _db

ZHANG = {"name": "张三", "phone": "13812345678", "workplace": "美团配送龙岗站", "group": "外卖员",
         "consent": "y"}


def page_text(resp) -> str:  # type: ignore[no-untyped-def]
    html = resp.get_data(as_text=True)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def count(model) -> int:  # type: ignore[no-untyped-def]
    return _db.session.scalar(select(func.count(model.id))) or 0


def code_for(app: Flask, event_code: str, age_seconds: int = 0) -> str:
    """Sign a dynamic code as if it had been shown `age_seconds` ago."""
    with app.test_request_context():
        if not age_seconds:
            return make_dynamic_code(event_code)
        original = TimestampSigner.get_timestamp
        TimestampSigner.get_timestamp = lambda self: int(time.time()) - age_seconds  # type: ignore[method-assign]
        try:
            return make_dynamic_code(event_code)
        finally:
            TimestampSigner.get_timestamp = original  # type: ignore[method-assign]


# -- dynamic QR --------------------------------------------------------------------------------


def test_dynamic_fresh_code_is_accepted(app, client, create_event):
    event = create_event(qr_mode="dynamic")
    token = code_for(app, event.code)
    resp = client.get(f"/c/{event.code}?t={token}")
    assert resp.status_code == 200
    assert f'name="t" value="{token}"' in resp.get_data(as_text=True)
    done = client.post(f"/c/{event.code}", data={**ZHANG, "t": token}, follow_redirects=True)
    assert "签到成功" in page_text(done)
    assert count(CheckIn) == 1


@pytest.mark.parametrize("case, message", [
    ("missing", "请扫描会场屏幕上的二维码"),
    ("expired", "二维码已过期，请重新扫描会场屏幕上的二维码"),
    ("forged", "二维码无效"),
    ("other_event", "这不是本场活动的二维码"),
])
def test_dynamic_bad_code_is_refused(app, client, create_event, case, message):
    event = create_event(qr_mode="dynamic", title="劳模工匠宣讲")
    other = create_event(qr_mode="dynamic")
    token = {
        "missing": "",
        "expired": code_for(app, event.code, age_seconds=120),
        "forged": event.code + ".AAAAAA.forgedsignature",
        "other_event": code_for(app, other.code),
    }[case]
    for resp in (client.get(f"/c/{event.code}?t={token}"),
                 client.post(f"/c/{event.code}", data={**ZHANG, "t": token}, follow_redirects=True)):
        assert resp.status_code == 200
        text = page_text(resp)
        assert message in text and "劳模工匠宣讲" in text
        assert 'name="phone"' not in resp.get_data(as_text=True)
    assert count(CheckIn) == 0 and count(Participant) == 0


def test_dynamic_code_expires_with_configured_validity(app, client, create_event):
    event = create_event(qr_mode="dynamic")
    token = code_for(app, event.code)
    app.config["DYNAMIC_QR_VALID_SECONDS"] = 0
    with time_machine.travel(time.time() + 2):  # tokens are stamped in whole seconds
        resp = client.post(f"/c/{event.code}", data={**ZHANG, "t": token}, follow_redirects=True)
    assert "二维码已过期" in page_text(resp)
    assert count(CheckIn) == 0


def test_form_opened_with_a_fresh_code_may_be_submitted_a_bit_later(app, client, create_event):
    """Typing the form takes longer than a code lives; the session that opened it fresh may still submit."""
    event = create_event(qr_mode="dynamic")
    token = code_for(app, event.code)
    assert 'name="name"' in client.get(f"/c/{event.code}?t={token}").get_data(as_text=True)
    app.config["DYNAMIC_QR_VALID_SECONDS"] = 0
    with time_machine.travel(time.time() + 2):  # tokens are stamped in whole seconds
        forwarded = app.test_client()  # a friend with a photo of the code never opened it while fresh
        refused = forwarded.post(f"/c/{event.code}", data={**ZHANG, "t": token}, follow_redirects=True)
        assert "二维码已过期" in page_text(refused)
        done = client.post(f"/c/{event.code}", data={**ZHANG, "t": token}, follow_redirects=True)
    assert "签到成功" in page_text(done)
    assert count(CheckIn) == 1


def test_static_event_ignores_t(client, create_event):
    event = create_event()
    resp = client.post(f"/c/{event.code}?t=whatever", data={**ZHANG, "t": "junk"}, follow_redirects=True)
    assert "签到成功" in page_text(resp)


# -- no database ids ---------------------------------------------------------------------------


def _bump_ids(event: Event) -> None:
    """Push the next ids far from small numbers, so a leaked id is recognizable on the page."""
    filler = Participant(id=70000, phone="19900000000", name="占位")
    dummy = Event(id=60000, code="fillerevent2", program_id=event.program_id, organization_id=event.organization_id,
                  title="占位", starts_at=utcnow(), ends_at=utcnow())
    _db.session.add_all([filler, dummy])
    _db.session.flush()
    _db.session.add(CheckIn(id=80000, event_id=dummy.id, participant_id=filler.id, method="manual"))
    _db.session.commit()
    if _db.engine.dialect.name == "postgresql":
        for table, last in (("event", 60000), ("participant", 70000), ("check_in", 80000)):
            _db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {last})"))
        _db.session.commit()


def test_pages_never_show_database_ids(app, client, create_event):
    _bump_ids(create_event())
    event = create_event()
    assert event.id > 60000
    pages = [client.get(f"/c/{event.code}")]
    pages.append(client.post(f"/c/{event.code}", data=ZHANG, follow_redirects=True))
    record = _db.session.scalar(select(CheckIn).where(CheckIn.event_id == event.id))
    assert record.id > 80000 and record.participant_id > 70000
    pages += [client.get(f"/c/{event.code}/done"), client.get(f"/c/{event.code}"),
              client.get(f"/c/{event.code}?edit=1"), client.post(f"/c/{event.code}", data={"quick": "1"},
                                                                 follow_redirects=True)]
    for resp in pages:
        assert resp.status_code == 200
        html = resp.get_data(as_text=True)
        for leaked in (event.id, record.id, record.participant_id):
            assert str(leaked) not in html


# -- CSRF --------------------------------------------------------------------------------------


@pytest.fixture
def csrf_app(app: Flask, database_url: str) -> Iterator[Flask]:
    """The same database with CSRF protection on, as in production."""
    protected = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": True})
    yield protected
    with protected.app_context():
        _db.session.remove()
        _db.engine.dispose()


def test_csrf_is_enforced(csrf_app, create_event):
    event = create_event()
    code = event.code
    browser = csrf_app.test_client()
    refused = browser.post(f"/c/{code}", data=ZHANG)
    assert refused.status_code == 400 and "页面已过期" in page_text(refused)

    html = browser.get(f"/c/{code}").get_data(as_text=True)
    # The token is bound to the device cookie the GET set (the check-in pages keep no session).
    assert browser.get_cookie("evs_person") is not None and browser.get_cookie("session") is None
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    forged = browser.post(f"/c/{code}", data={**ZHANG, "csrf_token": "not-the-token"})
    assert forged.status_code == 400
    # A genuine token of another phone does not pass with this phone's cookie, nor with none.
    other = csrf_app.test_client()
    other_token = re.search(r'name="csrf_token" value="([^"]+)"', other.get(f"/c/{code}").get_data(as_text=True))
    assert other_token is not None and other_token.group(1) != token
    assert browser.post(f"/c/{code}", data={**ZHANG, "csrf_token": other_token.group(1)}).status_code == 400
    assert csrf_app.test_client().post(f"/c/{code}", data={**ZHANG, "csrf_token": token}).status_code == 400
    _db.session.rollback()
    assert count(CheckIn) == 0

    ok = browser.post(f"/c/{code}", data={**ZHANG, "csrf_token": token}, follow_redirects=True)
    assert ok.status_code == 200 and "签到成功" in page_text(ok)
    _db.session.rollback()
    assert count(CheckIn) == 1
