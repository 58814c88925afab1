"""Erasure and the retention purge also reach notices, opt-outs, verification codes, station visits (S1)."""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from eventsvc.checkin.models import Participant, Registration
from eventsvc.core.timeutil import utcnow
from eventsvc.core.verification import PhoneVerification, hash_code
from eventsvc.extensions import db
from eventsvc.notices.models import PENDING, SENT, SKIPPED, Notice, ReminderOptOut
from eventsvc.notices.operations import enqueue
from eventsvc.stations.models import StationVisit
from eventsvc.stations.operations import create_station, record_visit

PHONE = "13800138001"
OTHER = "13900139002"


def _code(phone: str, *, age: timedelta = timedelta(0)) -> None:
    at = utcnow() - age
    db.session.add(PhoneVerification(phone=phone, purpose="show_ticket", code_hash=hash_code(phone, "x", "123456"),
                                     created_at=at, expires_at=at + timedelta(minutes=5), last_sent_at=at))


def _traces_of(person: Participant, event: Any, tree: dict[str, Any]) -> None:
    """A sent and a pending SMS with the name, an opt-out, a code, a station visit and a registration."""
    sent = enqueue(event, person.phone, "registration_confirmed", name="王师傅", key=f"reminder:{event.id}:{PHONE}")
    assert sent is not None
    sent.state = SENT
    enqueue(event, person.phone, "event_changed", name="王师傅")
    db.session.add(ReminderOptOut(phone=person.phone, via="link"))
    _code(person.phone)
    station = create_station(tree["a"], by=None, name="平湖暖蜂驿站", services="饮用水")
    record_visit(station, person, by=None, services=["饮用水"], given={"name": "王师傅"})
    db.session.add(Registration(event_id=event.id, participant_id=person.id, token="t-" + PHONE,
                                name_given="王师傅", workplace_given="中建三局"))
    db.session.commit()


def test_erase_reaches_notices_opt_outs_codes_visits_and_registrations(
        client, login, tree, create_event, create_participant):  # type: ignore[no-untyped-def]
    event = create_event(org=tree["a"], title="夏送清凉进工地")
    person = create_participant("王师傅", PHONE, "中建三局", "建筑工人")
    _traces_of(person, event, tree)
    login(tree["admin"])
    data = json.loads(client.post(f"/admin/privacy/{person.id}/export", data={"format": "json"}).data)
    assert [v["station"] for v in data["station_visits"]] == ["平湖暖蜂驿站"]
    assert sorted(n["message"] for n in data["notices"]) == ["报名成功", "活动变更"]

    resp = client.post(f"/admin/privacy/{person.id}/erase", data={"confirm": "yes"}, follow_redirects=True)
    assert "已删除职工" in resp.get_data(as_text=True)
    db.session.expire_all()
    notices = db.session.scalars(select(Notice).order_by(Notice.id)).all()
    assert [n.phone for n in notices] == ["138****8001", "138****8001"]
    assert all("name" not in n.params and n.dedupe_key is None for n in notices)
    assert [n.state for n in notices] == [SENT, SKIPPED]  # the pending one is never sent
    assert db.session.scalar(select(func.count(ReminderOptOut.id))) == 0
    assert db.session.scalar(select(func.count(PhoneVerification.id))) == 0
    visit = db.session.scalar(select(StationVisit))
    assert visit is not None and visit.participant_id == person.id and visit.name_given == ""  # still counted
    reg = db.session.scalar(select(Registration))
    assert reg is not None and (reg.name_given, reg.workplace_given) == ("", "")
    # The organizer's notice list shows only the masked number; the stop link cannot record it.
    page = client.get(f"/events/{event.id}/notices").get_data(as_text=True)
    assert PHONE not in page and "王师傅" not in page


def test_a_recent_station_visit_keeps_a_person(runner, tree, create_participant):  # type: ignore[no-untyped-def]
    person = create_participant("李师傅", OTHER, "顺丰速运", "快递员")
    station = create_station(tree["a"], by=None, name="坂田爱心驿站", services="饮用水")
    record_visit(station, person, by=None, at=utcnow() - timedelta(days=20))
    long_ago = utcnow() - timedelta(days=4 * 365)
    db.session.execute(update(Participant).where(Participant.id == person.id)
                       .values(created_at=long_ago, updated_at=long_ago))
    db.session.commit()
    assert "已匿名化 0 名" in runner.invoke(args=["privacy", "purge"]).output
    db.session.execute(update(StationVisit).values(visited_at=long_ago))
    db.session.commit()
    assert "已匿名化 1 名" in runner.invoke(args=["privacy", "purge"]).output


def test_purge_ages_out_old_notices_orphan_opt_outs_and_expired_codes(
        runner, tree, create_event, create_participant):  # type: ignore[no-untyped-def]
    event = create_event(org=tree["a"])
    create_participant("张师傅", OTHER, "滴滴出行", "网约车司机")  # active: their opt-out stays
    old = enqueue(event, OTHER, "event_reminder", name="张师傅")
    recent = enqueue(event, OTHER, "event_reminder", name="张师傅")
    assert old is not None and recent is not None
    db.session.add_all([ReminderOptOut(phone=OTHER, via="link"), ReminderOptOut(phone=PHONE, via="reply")])
    _code(PHONE, age=timedelta(days=2))
    _code(OTHER)
    db.session.flush()
    old.created_at, old.state = utcnow() - timedelta(days=4 * 365), SENT
    db.session.commit()
    old_id, recent_id = old.id, recent.id

    dry = runner.invoke(args=["privacy", "purge", "--dry-run"])
    assert "短信记录隐去手机号 1 条" in dry.output and "停止提醒 1 条、过期验证码 1 条" in dry.output
    db.session.expire_all()
    assert db.session.get(Notice, old_id).phone == OTHER  # a dry run changes nothing

    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    aged, kept = db.session.get(Notice, old_id), db.session.get(Notice, recent_id)
    assert (aged.phone, "name" in aged.params) == ("139****9002", False)
    assert (kept.phone, kept.state, kept.params["name"]) == (OTHER, PENDING, "张师傅")
    assert db.session.scalars(select(ReminderOptOut.phone)).all() == [OTHER]
    assert db.session.scalars(select(PhoneVerification.phone)).all() == [OTHER]
