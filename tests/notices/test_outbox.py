"""The outbox is written in the transaction of the change: one notice per promotion, none after a rollback."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from eventsvc.checkin.models import REGISTERED, WAITLISTED
from eventsvc.checkin.operations import cancel_registration, register
from eventsvc.events.operations import cancel_event, update_event
from eventsvc.extensions import db
from eventsvc.notices.models import PENDING, Notice
from tests.notices.conftest import person


def _notices(template: str | None = None) -> list[Notice]:
    stmt = select(Notice).order_by(Notice.id)
    if template:
        stmt = stmt.where(Notice.template == template)
    return list(db.session.scalars(stmt))


def test_registration_confirms_and_promotion_writes_exactly_one_notice(reg_event):
    event = reg_event(registration_capacity=1, waitlist_enabled=True)
    seated = register(event, person(1), by=None)
    waiting = register(event, person(2), by=None)
    db.session.commit()
    assert (seated.status, waiting.status) == (REGISTERED, WAITLISTED)
    assert [(n.phone, n.template) for n in _notices()] == [("13700000001", "registration_confirmed")]

    cancel_registration(seated, by=None)
    db.session.commit()
    promoted = _notices("waitlist_promoted")
    assert len(promoted) == 1
    notice = promoted[0]
    assert (notice.phone, notice.state, notice.event_id) == ("13700000002", PENDING, event.id)
    assert notice.params["name"] == "王小明2" and notice.params["event"] == event.title
    assert notice.params["link"].endswith(f"/c/{event.code}")


def test_a_rolled_back_change_leaves_no_notice(reg_event):
    event = reg_event(registration_capacity=1, waitlist_enabled=True)
    seated = register(event, person(1), by=None)
    register(event, person(2), by=None)
    db.session.commit()
    before = len(_notices())

    cancel_registration(seated, by=None)  # promotes the second in this transaction …
    db.session.flush()
    assert len(_notices("waitlist_promoted")) == 1
    db.session.rollback()  # … which then fails: nothing may be sent
    assert _notices("waitlist_promoted") == [] and len(_notices()) == before

    register(event, person(3), by=None)
    db.session.rollback()
    assert len(_notices()) == before


def test_time_or_place_change_and_cancellation_reach_those_registered(reg_event, tree):
    event = reg_event(registration_capacity=5)
    for n in (1, 2):
        register(event, person(n), by=None)
    cancelled = register(event, person(3), by=None)
    db.session.commit()
    cancel_registration(cancelled, by=None)
    db.session.commit()

    update_event(event, by=tree["org_a"], title=event.title + "（更新）")
    db.session.commit()
    assert _notices("event_changed") == []  # the title concerns nobody's plans

    update_event(event, by=tree["org_a"], starts_at=event.starts_at + timedelta(hours=1),
                 ends_at=event.ends_at + timedelta(hours=1))
    db.session.commit()
    changed = _notices("event_changed")
    assert sorted(n.phone for n in changed) == ["13700000001", "13700000002"]

    cancel_event(event, by=tree["org_a"], reason="台风")
    db.session.commit()
    assert sorted(n.phone for n in _notices("event_cancelled")) == ["13700000001", "13700000002"]


def test_a_draft_event_tells_nobody(reg_event, tree):
    event = reg_event(publish=False)
    cancel_event(event, by=tree["org_a"])
    db.session.commit()
    assert _notices() == []
