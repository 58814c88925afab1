"""Delivery against a fake Alibaba Cloud SMS server: retry after a failure, success, giving up visibly."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from eventsvc.checkin.operations import cancel_registration, register
from eventsvc.core.timeutil import utcnow
from eventsvc.extensions import db
from eventsvc.notices.delivery import Delivered, deliver_due, run_worker
from eventsvc.notices.models import FAILED, PENDING, SENT, Notice
from tests.notices.conftest import person


def _promoted_notice(reg_event) -> Notice:  # type: ignore[no-untyped-def]
    event = reg_event(registration_capacity=1, waitlist_enabled=True)
    seated = register(event, person(1), by=None)
    register(event, person(2), by=None)
    db.session.commit()
    cancel_registration(seated, by=None)
    db.session.commit()
    return db.session.scalars(select(Notice).where(Notice.template == "waitlist_promoted")).one()


def test_delivery_retries_after_a_provider_failure_then_succeeds(reg_event, aliyun, aliyun_sender):
    notice = _promoted_notice(reg_event)
    aliyun.fail_with = ("isv.BUSINESS_LIMIT_CONTROL", "触发号码天级流控")
    t0 = utcnow()

    first = deliver_due(aliyun_sender, now=t0, retry_seconds=60)
    assert (first.sent, first.retried) == (0, 2)  # the confirmation of the first seat failed too
    db.session.refresh(notice)
    assert notice.state == PENDING and notice.attempts == 1
    assert "isv.BUSINESS_LIMIT_CONTROL" in notice.last_error
    assert notice.next_attempt_at == t0 + timedelta(seconds=60)

    assert deliver_due(aliyun_sender, now=t0 + timedelta(seconds=30)).total == 0  # not due yet: no request
    requests_so_far = len(aliyun.received)

    aliyun.fail_with = None
    second = deliver_due(aliyun_sender, now=t0 + timedelta(seconds=61))
    assert second.sent == 2 and len(aliyun.received) == requests_so_far + 2
    db.session.refresh(notice)
    assert notice.state == SENT and notice.attempts == 2 and notice.last_error == ""
    assert notice.provider_id.endswith("^0") and notice.sent_at is not None
    sent = [r["params"] for r in aliyun.received if r["params"].get("PhoneNumbers") == "13700000002"][-1]
    assert sent["TemplateCode"] == "SMS_301" and f"/c/{notice.event.code}" in sent["TemplateParam"]


def test_delivery_gives_up_after_the_last_attempt_and_organizers_see_it(reg_event, aliyun, aliyun_sender, login,
                                                                        tree):
    notice = _promoted_notice(reg_event)
    aliyun.fail_with = ("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
    now = utcnow()
    deliver_due(aliyun_sender, now=now, max_attempts=2, retry_seconds=1)
    done = deliver_due(aliyun_sender, now=now + timedelta(seconds=5), max_attempts=2, retry_seconds=1)
    assert done.failed == 2
    db.session.refresh(notice)
    assert notice.state == FAILED and notice.attempts == 2
    assert deliver_due(aliyun_sender, now=now + timedelta(hours=2)).total == 0  # failed ones are left alone

    html = login(tree["org_a"]).get(f"/events/{notice.event_id}/notices").get_data(as_text=True)
    assert "发送失败" in html and "多次重试后仍发送失败" in html and "候补转正" in html
    assert "137****0002" in html and "13700000002" not in html
    assert "isv.MOBILE_NUMBER_ILLEGAL" in html

    filtered = login(tree["org_a"]).get(f"/events/{notice.event_id}/notices?state=sent").get_data(as_text=True)
    assert "本场活动还没有短信通知" in filtered


def test_notices_page_is_out_of_reach_for_another_street(reg_event, login, tree):
    event = reg_event()
    assert login(tree["org_b"]).get(f"/events/{event.id}/notices").status_code == 404


def test_the_cli_delivers_once_through_the_configured_sender(app, runner, reg_event, aliyun_sender, aliyun):
    _promoted_notice(reg_event)
    saved = app.extensions["sms"]
    app.extensions["sms"] = aliyun_sender
    try:
        result = runner.invoke(args=["notices", "deliver", "--once"])
    finally:
        app.extensions["sms"] = saved
    assert result.exit_code == 0, result.output
    assert "已发送 2 条" in result.output
    assert {r["params"]["PhoneNumbers"] for r in aliyun.received} == {"13700000001", "13700000002"}


def test_the_worker_loop_waits_when_idle_and_backs_off_when_the_database_fails():
    calls: list[str] = []
    sleeps: list[float] = []
    outcomes = [RuntimeError("db down"), RuntimeError("db down"), Delivered(sent=1), Delivered()]

    def deliver() -> Delivered:
        outcome = outcomes.pop(0)
        calls.append(type(outcome).__name__)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    run_worker(deliver, idle_seconds=5, should_stop=lambda: not outcomes, sleep=sleeps.append)
    assert calls == ["RuntimeError", "RuntimeError", "Delivered", "Delivered"]
    assert sleeps == [5, 10, 5]  # doubling while failing; none after a busy pass; idle wait after an empty one
