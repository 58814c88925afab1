"""Day-before reminders: created once however often the schedule runs; a worker can stop them by link or reply."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from eventsvc.checkin.operations import register
from eventsvc.core.timeutil import utcnow
from eventsvc.extensions import db
from eventsvc.notices.delivery import deliver_due
from eventsvc.notices.models import SENT, SKIPPED, Notice, ReminderOptOut
from eventsvc.notices.operations import schedule_reminders, tomorrow_bounds
from tests.notices.conftest import person


def _tomorrow_event(reg_event, hour: int = 10):  # type: ignore[no-untyped-def]
    start, _ = tomorrow_bounds(utcnow())
    return reg_event(starts_in=start + timedelta(hours=hour) - utcnow())


def _reminders() -> list[Notice]:
    return list(db.session.scalars(select(Notice).where(Notice.template == "event_reminder").order_by(Notice.id)))


def test_schedule_twice_creates_each_reminder_once(reg_event, runner, tree):
    event = _tomorrow_event(reg_event)
    later = reg_event(starts_in=timedelta(days=3))
    for n in (1, 2):
        register(event, person(n), by=tree["org_a"])
    register(later, person(3), by=tree["org_a"])
    db.session.commit()

    first = runner.invoke(args=["notices", "schedule"])
    assert first.exit_code == 0 and "已安排明日活动提醒 2 条" in first.output
    second = runner.invoke(args=["notices", "schedule"])
    assert second.exit_code == 0 and "已安排明日活动提醒 0 条" in second.output
    assert schedule_reminders() == 0
    reminders = _reminders()
    assert sorted(n.phone for n in reminders) == ["13700000001", "13700000002"]
    assert all(n.event_id == event.id and "/n/stop/" in n.params["stop"] for n in reminders)


def test_stop_link_asks_then_stops_reminders_and_pending_ones_are_not_sent(reg_event, client, tree, aliyun,
                                                                           aliyun_sender):
    event = _tomorrow_event(reg_event)
    register(event, person(1), by=tree["org_a"])
    register(event, person(2), by=tree["org_a"])
    db.session.commit()
    schedule_reminders()
    db.session.commit()
    mine = next(n for n in _reminders() if n.phone == "13700000001")
    path = mine.params["stop"].split("://", 1)[-1]
    path = path[path.index("/"):]

    page = client.get(path)
    assert page.status_code == 200 and "确认退订" in page.get_data(as_text=True)
    assert "137****0001" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ReminderOptOut.id))) == 0  # a link preview unsubscribes nobody

    done = client.post(path)
    assert done.status_code == 200 and "已退订活动提醒" in done.get_data(as_text=True)
    assert db.session.scalars(select(ReminderOptOut.phone)).all() == ["13700000001"]

    deliver_due(aliyun_sender, now=utcnow() + timedelta(seconds=1))
    db.session.expire_all()
    states = {n.phone: n.state for n in _reminders()}
    assert states == {"13700000001": SKIPPED, "13700000002": SENT}
    reminded = [r["params"]["PhoneNumbers"] for r in aliyun.received if r["params"]["TemplateCode"] == "SMS_302"]
    assert reminded == ["13700000002"]


def test_forged_stop_link_is_404(client):
    assert client.get("/n/stop/123.forged").status_code == 404
    assert client.post("/n/stop/x").status_code == 404


def test_a_reply_entered_by_staff_stops_reminders(reg_event, runner, tree):
    event = _tomorrow_event(reg_event)
    register(event, person(1), by=tree["org_a"])
    db.session.commit()
    result = runner.invoke(args=["notices", "stop", "137 0000 0001"])
    assert result.exit_code == 0 and "已退订活动提醒" in result.output
    assert runner.invoke(args=["notices", "stop", "12345"]).exit_code != 0
    assert schedule_reminders() == 0
