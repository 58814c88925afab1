"""Who may see and change which programs: roles (403) and organization scope (404)."""
from __future__ import annotations

import pytest

from eventsvc.programs.models import SESSIONS

CHANGE_URLS = ["/programs/{id}/edit", "/programs/{id}/delete"]
SCOPED_URLS = ["/programs/{id}", *CHANGE_URLS, "/api/programs/{id}/progress"]


@pytest.mark.parametrize("user_key", ["org_b", "viewer_a"])
def test_other_streets_program_is_not_found(tree, login, create_program, user_key):
    # viewer_a is tested on a program of a street other than its own.
    program = create_program(org=tree["b"] if user_key == "viewer_a" else tree["a"])
    client = login(tree[user_key])
    # A viewer is refused changes by role (403) before scope; reading still answers 404.
    for url in SCOPED_URLS if user_key == "org_b" else ["/programs/{id}", "/api/programs/{id}/progress"]:
        assert client.get(url.format(id=program.id)).status_code == 404, url
    if user_key == "org_b":
        for url in CHANGE_URLS:
            assert client.post(url.format(id=program.id), data={"confirm": "yes"}).status_code == 404, url
    assert client.get("/api/programs/999999/progress").get_json()["ok"] is False


@pytest.mark.parametrize("user_key", ["viewer_a", "checker_a", "district_viewer"])
def test_non_managers_are_forbidden(db, tree, login, create_program, user_key):
    program = create_program(org=tree["a"], name="不应被修改")
    client = login(tree[user_key])
    for url in ["/programs/new", *CHANGE_URLS]:
        for method in ("get", "post"):
            resp = getattr(client, method)(url.format(id=program.id), data={"confirm": "yes", "name": "x"})
            assert resp.status_code == 403, (url, method)
            assert "您没有权限" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(program), program.id).name == "不应被修改"


@pytest.mark.parametrize("user_key", ["viewer_a", "checker_a"])
def test_readers_see_program_but_no_change_buttons(tree, login, create_program, user_key):
    program = create_program(org=tree["a"], name="平湖普法")
    html = login(tree[user_key]).get(f"/programs/{program.id}").get_data(as_text=True)
    assert "平湖普法" in html
    assert "编辑项目" not in html and "新建活动" not in html
    assert "新建项目" not in login(tree[user_key]).get("/programs?year=2026").get_data(as_text=True)


@pytest.mark.parametrize("url", CHANGE_URLS)
def test_street_manager_cannot_change_district_program(tree, login, create_program, url):
    program = create_program(org=tree["root"])
    client = login(tree["org_a"])
    assert client.get(f"/programs/{program.id}").status_code == 200  # visible: every street takes part
    assert client.get(url.format(id=program.id)).status_code == 403
    assert client.post(url.format(id=program.id), data={"confirm": "yes"}).status_code == 403


def test_anonymous_is_sent_to_login(client, tree, create_program):
    program = create_program(org=tree["a"])
    for url in ["/programs", "/programs/new", "/programs/{id}", *CHANGE_URLS]:
        resp = client.get(url.format(id=program.id))
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], url
    for url in ["/programs/new", *CHANGE_URLS]:
        resp = client.post(url.format(id=program.id), data={"confirm": "yes"})
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], url


def test_anonymous_json_gets_401(client, tree, create_program):
    program = create_program(org=tree["a"], targets=None)
    resp = client.get(f"/api/programs/{program.id}/progress")
    assert resp.status_code == 401 and resp.get_json()["ok"] is False


def test_street_organizer_creates_for_own_street_only(db, tree, login):
    client = login(tree["org_a"])
    resp = client.post("/programs/new", data={
        "year": "2026", "name": "平湖街道职工运动会", "organization_id": str(tree["a_child"].id),
        "targets-0-metric": SESSIONS, "targets-0-value": "3",
    })
    assert resp.status_code == 302
    program_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    assert login(tree["org_b"]).get(f"/programs/{program_id}").status_code == 404
    assert login(tree["org_a"]).get(f"/programs/{program_id}").status_code == 200
