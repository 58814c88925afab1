"""Publishing and cancelling events through the pages; cancelling asks for confirmation first."""
from __future__ import annotations

from eventsvc.events.models import CANCELLED, DRAFT, PUBLISHED


def test_publish_makes_a_draft_published(db, client, login, tree, create_event):
    event = create_event(org=tree["a"], publish=False)
    login(tree["org_a"])
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "活动尚未发布，职工扫码将无法签到" in page and f"/events/{event.id}/publish" in page
    resp = client.post(f"/events/{event.id}/publish", follow_redirects=True)
    assert "已发布，职工现在可以扫码签到" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert event.status == PUBLISHED and event.published_at is not None


def test_cancel_shows_a_confirmation_and_only_the_post_cancels(db, client, login, tree, create_event, create_check_in):
    event = create_event(org=tree["a"])
    create_check_in(event)
    login(tree["org_a"])
    confirm = client.get(f"/events/{event.id}/cancel")
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    assert "确认取消活动" in html and "1 人次" in html and "不再计入" in html
    db.session.expire_all()
    assert event.status == PUBLISHED

    resp = client.post(f"/events/{event.id}/cancel", data={"reason": "台风预警，活动延期"}, follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "已取消" in page and "台风预警，活动延期" in page
    db.session.expire_all()
    assert event.status == CANCELLED and event.cancel_reason == "台风预警，活动延期"
    # a cancelled event offers no edit and no walk-in; editing redirects with a notice
    assert f"/events/{event.id}/edit" not in page and "人工补录签到" not in page
    resp = client.get(f"/events/{event.id}/edit", follow_redirects=True)
    assert "活动已取消，不能再修改" in resp.get_data(as_text=True)


def test_publishing_a_cancelled_event_is_refused_with_a_message(db, client, login, tree, create_event):
    event = create_event(org=tree["a"], publish=False)
    login(tree["org_a"])
    client.post(f"/events/{event.id}/cancel", data={"reason": ""})
    resp = client.post(f"/events/{event.id}/publish", follow_redirects=True)
    assert "活动已取消，不能发布" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert event.status == CANCELLED


def test_draft_stays_draft_until_published(db, client, login, tree, create_event):
    event = create_event(org=tree["a"], publish=False)
    login(tree["org_a"])
    client.get(f"/events/{event.id}/cancel")
    db.session.expire_all()
    assert event.status == DRAFT
