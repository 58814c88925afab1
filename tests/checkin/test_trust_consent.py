"""Issue 8 §8: public forms say who holds the data, what for, how long, whom to contact; consent is required."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from eventsvc.checkin.models import CheckIn, Participant, Registration
from eventsvc.config import Config
from eventsvc.core.timeutil import utcnow
from eventsvc.extensions import db

PERSON = {"name": "张三", "phone": "13812345678", "workplace": "", "group": ""}


def text(resp) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.get_data(as_text=True)))


def test_check_in_form_states_the_notice_and_requires_consent(client, create_event):
    event = create_event()
    form = client.get(f"/c/{event.code}").get_data(as_text=True)
    assert 'name="consent"' in form and "龙岗区总工会" in form and "保存 3 年" in form and "请联系" in form
    refused = client.post(f"/c/{event.code}", data=PERSON)
    assert refused.status_code == 200 and "请阅读并同意个人信息使用说明" in text(refused)
    assert db.session.scalar(select(func.count(CheckIn.id))) == 0
    assert db.session.scalar(select(func.count(Participant.id))) == 0
    ok = client.post(f"/c/{event.code}", data={**PERSON, "consent": "y"}, follow_redirects=True)
    assert "签到成功" in text(ok)


def test_registration_requires_consent(client, create_event):
    event = create_event(registration_mode="on", registration_closes_at=utcnow() + timedelta(hours=1))
    refused = client.post(f"/c/{event.code}/register", data=PERSON)
    assert "请阅读并同意个人信息使用说明" in text(refused) and "保存 3 年" in text(refused)
    assert db.session.scalar(select(func.count(Registration.id))) == 0


def test_notice_text_is_configurable(app, client, create_event):
    event = create_event()
    app.config["PRIVACY_NOTICE"] = "信息由某某街道总工会保存，联系电话 0755-12345678。"
    try:
        assert "联系电话 0755-12345678" in text(client.get(f"/c/{event.code}"))
    finally:
        app.config["PRIVACY_NOTICE"] = Config.PRIVACY_NOTICE


def test_returning_worker_still_checks_in_with_one_tap(app, create_event):
    phone = app.test_client()
    phone.post(f"/c/{create_event().code}", data={**PERSON, "consent": "y"})
    second = create_event()
    form = phone.get(f"/c/{second.code}").get_data(as_text=True)
    assert 'name="quick"' in form and "张三" in form  # prefilled from this phone's own cookie
    done = phone.post(f"/c/{second.code}", data={"quick": "1"}, follow_redirects=True)
    assert "签到成功" in text(done)
