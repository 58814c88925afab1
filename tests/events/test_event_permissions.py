"""Who may see and change an event: another street gets 404, viewers 403, checkers may only check in."""
from __future__ import annotations

import pytest

from eventsvc.events.models import PUBLISHED

PAGES = [
    ("GET", "/events/{id}"), ("GET", "/events/{id}/edit"), ("POST", "/events/{id}/edit"),
    ("POST", "/events/{id}/publish"), ("GET", "/events/{id}/cancel"), ("POST", "/events/{id}/cancel"),
    ("GET", "/events/{id}/qr"), ("GET", "/events/{id}/qr.png"), ("GET", "/api/events/{id}/stats"),
    ("GET", "/api/events/{id}/qr"), ("POST", "/events/{id}/walk-in"),
]
CHANGES = [("GET", "/events/{id}/edit"), ("POST", "/events/{id}/edit"), ("POST", "/events/{id}/publish"),
           ("GET", "/events/{id}/cancel"), ("POST", "/events/{id}/cancel"), ("GET", "/programs/{pid}/events/new"),
           ("POST", "/programs/{pid}/events/new"), ("GET", "/events/new")]


@pytest.fixture
def street_a_event(tree, create_event):  # type: ignore[no-untyped-def]
    return create_event(org=tree["a"], publish=False)


def _call(client, method: str, url: str):  # type: ignore[no-untyped-def]
    return client.get(url) if method == "GET" else client.post(url, data={"name": "张三", "phone": "13800138000"})


# One test per role with a loop over URLs: building the org tree per test dominates the run time.
def test_another_street_gets_404_everywhere(client, login, tree, street_a_event):
    login(tree["org_b"])
    for method, url in PAGES:
        assert _call(client, method, url.format(id=street_a_event.id)).status_code == 404, (method, url)


def test_anonymous_is_sent_to_login_or_gets_401_json(client, street_a_event):
    for method, url in PAGES:
        resp = _call(client, method, url.format(id=street_a_event.id))
        if url.startswith("/api/"):
            assert resp.status_code == 401 and resp.get_json()["ok"] is False, url
        else:
            assert resp.status_code == 302 and "/login" in resp.headers["Location"], (method, url)


@pytest.mark.parametrize("role", ["viewer_a", "district_viewer", "checker_a"])
def test_viewers_and_checkers_cannot_change_events(db, client, login, tree, street_a_event, role):
    login(tree[role])
    for method, url in CHANGES:
        resp = _call(client, method, url.format(id=street_a_event.id, pid=street_a_event.program_id))
        assert resp.status_code == 403, (method, url)
    db.session.expire_all()
    assert street_a_event.status != PUBLISHED


@pytest.mark.parametrize("role", ["viewer_a", "district_viewer"])
def test_viewers_cannot_add_walk_ins(db, client, login, tree, street_a_event, role):
    login(tree[role])
    resp = client.post(f"/events/{street_a_event.id}/walk-in", data={"name": "张三", "phone": "13800138000"})
    assert resp.status_code == 403


@pytest.mark.parametrize("role", ["viewer_a", "checker_a", "district_viewer", "admin", "org_a"])
def test_everyone_in_scope_reads_the_event_page_and_wall(client, login, tree, street_a_event, role):
    login(tree[role])
    for url in ("/events/{id}", "/events/{id}/wall", "/api/events/{id}/stats"):
        assert client.get(url.format(id=street_a_event.id)).status_code == 200


def test_checker_can_add_walk_ins_but_sees_no_manager_buttons(db, client, login, tree, create_event):
    event = create_event(org=tree["a"])
    login(tree["checker_a"])
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "人工补录签到" in page
    assert f"/events/{event.id}/edit" not in page and f"/events/{event.id}/cancel" not in page
    resp = client.post(f"/events/{event.id}/walk-in", data={"name": "李四", "phone": "13800138000"},
                       follow_redirects=True)
    assert "已为 李四 签到" in resp.get_data(as_text=True)
