"""The staff scanner page and its JSON API: answers, search, walk-ins, permissions, CSRF, stored scans."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from eventsvc import create_app
from eventsvc.checkin.models import CheckIn, Participant, ScanRecord
from eventsvc.checkin.operations import cancel_registration, register
from eventsvc.core.timeutil import utcnow
from eventsvc.extensions import db
from tests.checkin.scanning import scan_once


def person(n: int) -> dict[str, str]:
    return {"name": f"扫码职工{n}", "phone": f"1370000{n:04d}", "workplace": "顺丰速运", "group": "快递员"}


@pytest.fixture
def setup(create_event, create_program, tree):  # type: ignore[no-untyped-def]
    program = create_program(org=tree["a"])
    event = create_event(program=program, org=tree["a"], starts_in=timedelta(minutes=30),
                         registration_mode="on", expected_attendance=50)
    regs = [register(event, person(i), by=None) for i in range(3)]
    db.session.commit()
    return {"event": event, "regs": regs, "tree": tree}


def scan(client, event, code, mode="in", **extra):  # type: ignore[no-untyped-def]
    return scan_once(client, event, code=code, mode=mode, **extra)


def test_scan_ticket_success_then_already_with_first_time(login, client, setup):
    event, reg = setup["event"], setup["regs"][0]
    login(setup["tree"]["checker_a"])
    first = scan(client, event, f"http://127.0.0.1:5000/t/{reg.token}")
    assert first["result"]["outcome"] == "success" and first["result"]["title"] == "签到成功"
    assert first["result"]["name"] == "扫码职工0" and first["result"]["phone"] == "137****0000"
    assert first["stats"]["checked_in"] == 1 and first["stats"]["goal"] == 50

    second = scan(client, event, reg.token)  # a bare token works as well as the ticket URL
    assert second["result"]["outcome"] == "already" and second["result"]["title"] == "已签到"
    assert second["result"]["first_time"] in second["result"]["message"]
    assert second["stats"]["checked_in"] == 1
    stored = db.session.scalar(select(CheckIn))
    assert stored.method == "staff" and stored.registration_id == reg.id
    assert stored.by_user_id == setup["tree"]["checker_a"].id


def test_refusals_name_the_reason(login, client, setup, create_event):
    event, regs, tree = setup["event"], setup["regs"], setup["tree"]
    other = create_event(org=tree["a"], registration_mode="on", starts_in=timedelta(minutes=30))
    foreign = register(other, person(9), by=None)
    cancel_registration(regs[1], by=None)
    db.session.commit()
    login(tree["checker_a"])
    cases = {
        foreign.token: ("wrong_event", "不是本场活动"),
        regs[1].token: ("cancelled_ticket", "已取消"),
        "unknown-ticket-token": ("not_registered", "未报名"),
        f"http://h/c/{event.code}": ("not_a_ticket", "自助签到码"),
    }
    for code, (reason, words) in cases.items():
        result = scan(client, event, code)["result"]
        assert result["outcome"] == "refused" and result["ok"] is False
        assert result["code"] == reason and words in result["message"], result
    assert db.session.scalar(select(func.count(CheckIn.id))) == 0


def test_outside_window_is_refused(login, client, create_event, tree):
    event = create_event(org=tree["a"], starts_in=timedelta(hours=5), registration_mode="on")
    reg = register(event, person(1), by=None)
    db.session.commit()
    login(tree["checker_a"])
    result = scan(client, event, reg.token)["result"]
    assert result["code"] == "not_open" and "签到尚未开始" in result["message"]


def test_search_by_last_four_or_name_shows_masked_phones(login, client, setup, create_participant):
    create_participant("无关的人", "13900000001")  # same last four digits, but not at this event
    login(setup["tree"]["checker_a"])
    event = setup["event"]
    data = client.get(f"/api/events/{event.id}/search?q=0001").get_json()
    assert [p["name"] for p in data["people"]] == ["扫码职工1"]
    assert data["people"][0]["phone"] == "137****0001" and "13700000001" not in str(data)
    by_name = client.get(f"/api/events/{event.id}/search", query_string={"q": "扫码职工2"}).get_json()
    assert [p["registration"] for p in by_name["people"]] == ["已报名"]


def test_manual_pick_and_walk_in(login, client, setup, create_participant):
    event, tree = setup["event"], setup["tree"]
    stranger = create_participant("别处的人", "13122223333")
    login(tree["checker_a"])
    pid = setup["regs"][2].participant_id
    picked = scan_once(client, event, participant_id=pid)
    assert picked["result"]["outcome"] == "success" and picked["result"]["name"] == "扫码职工2"
    # Only people this event knows can be picked (no probing others); a walk-in is added with details.
    probe = scan_once(client, event, participant_id=stranger.id)
    assert probe["result"]["code"] == "not_registered" and "别处的人" not in str(probe)
    walk_in = scan_once(client, event, person={"name": "现场职工", "phone": "136 8888 9999", "group": "快递员"})
    assert walk_in["result"]["outcome"] == "success" and walk_in["result"]["message"] == "现场职工，签到成功"
    assert walk_in["stats"]["checked_in"] == 2
    walk = db.session.scalar(select(CheckIn).join(Participant).where(Participant.phone == "13688889999"))
    assert walk.method == "manual" and walk.registration_id is None and walk.participant.group == "快递员"


@pytest.mark.parametrize("person, field_message", [
    ({"name": "x", "phone": "12"}, "请输入正确的 11 位手机号码"),
    ({"name": " ", "phone": "13688889999"}, "请填写姓名"),
    ({"name": "x", "phone": "13688889999", "group": "宇航员"}, "请选择人群类别"),
    ("not an object", "请填写姓名"),
])
def test_walk_in_with_bad_details_is_refused_with_the_form_message(login, client, setup, person, field_message):
    login(setup["tree"]["checker_a"])
    result = scan_once(client, setup["event"], person=person)["result"]
    assert (result["outcome"], result["code"], result["message"]) == ("refused", "bad_scan", field_message)
    assert db.session.scalar(select(func.count(ScanRecord.id))) == 0
    assert db.session.scalar(select(func.count(Participant.id))) == 3


@pytest.mark.parametrize("body", [None, {}, {"scans": "x"}, {"scans": {"a": 1}}])
def test_a_malformed_body_is_a_400_bad_scan(login, client, setup, body):
    login(setup["tree"]["checker_a"])
    resp = client.post(f"/api/events/{setup['event'].id}/sync", json=body)
    assert resp.status_code == 400 and resp.get_json()["code"] == "bad_scan"
    assert resp.get_json()["error"] == "缺少扫码记录（scans 列表）。"


def test_malformed_scans_in_a_batch_are_refused_one_by_one(login, client, setup):
    event, reg = setup["event"], setup["regs"][0]
    login(setup["tree"]["checker_a"])
    good = {"client_scan_id": str(uuid.uuid4()), "code": reg.token}
    scans = [{"client_scan_id": "short", "code": reg.token}, {**good, "client_scan_id": str(uuid.uuid4()), "mode": "x"},
             {"client_scan_id": str(uuid.uuid4())}, 42, good]
    data = client.post(f"/api/events/{event.id}/sync", json={"scans": scans}).get_json()
    assert [r["message"] for r in data["results"][:4]] == [
        "扫码编号无效，请刷新扫码页面。", "扫码模式无效。", "扫码内容为空。", "扫码记录格式无效。"]
    assert {r["code"] for r in data["results"][:4]} == {"bad_scan"}
    assert data["results"][4]["outcome"] == "success" and data["stats"]["checked_in"] == 1
    assert db.session.scalar(select(func.count(ScanRecord.id))) == 1


def test_stored_scans_keep_ids_not_personal_details_and_replay_the_current_name(login, client, setup):
    event = setup["event"]
    login(setup["tree"]["checker_a"])
    body = {"client_scan_id": str(uuid.uuid4()), "person": {"name": "现场职工", "phone": "13688889999"}}
    first = client.post(f"/api/events/{event.id}/sync", json={"scans": [body]}).get_json()["results"][0]
    record = db.session.scalar(select(ScanRecord))
    stored = " ".join(str(getattr(record, c.key)) for c in ScanRecord.__table__.columns)
    assert "现场职工" not in stored and "13688889999" not in stored and "9999" not in stored
    assert (record.outcome, record.code, record.check_in_id) == ("success", "success", first["check_in_id"])
    record_person = db.session.get(Participant, record.participant_id)
    record_person.name = "现场职工（已更正）"
    db.session.commit()
    again = client.post(f"/api/events/{event.id}/sync", json={"scans": [body]}).get_json()["results"][0]
    assert again["replayed"] is True and again["outcome"] == "success"
    assert again["message"] == "现场职工（已更正），签到成功" and again["phone"] == "136****9999"
    assert again["checked_in_at"] == first["checked_in_at"]


def test_api_answers_json_for_anonymous_viewer_and_other_street(client, login, setup):
    event, tree = setup["event"], setup["tree"]
    body = {"scans": [{"client_scan_id": str(uuid.uuid4()), "code": setup["regs"][0].token}]}
    urls = [("post", f"/api/events/{event.id}/sync"), ("get", f"/api/events/{event.id}/search?q=1234"),
            ("get", f"/api/events/{event.id}/scanner-stats"), ("post", "/api/check-ins/1/undo")]
    for method, url in urls:
        resp = getattr(client, method)(url, json=body)
        assert resp.status_code == 401 and resp.is_json and resp.get_json()["ok"] is False, url
    login(tree["viewer_a"])
    for method, url in urls[:2]:
        resp = getattr(client, method)(url, json=body)
        assert resp.status_code == 403 and resp.is_json, url
    assert client.get(urls[2][1]).status_code == 200  # viewers may watch the figures
    login(tree["org_b"])
    for method, url in urls[:3]:
        resp = getattr(client, method)(url, json=body)
        assert resp.status_code == 404 and resp.is_json, url
    assert db.session.scalar(select(func.count(CheckIn.id))) == 0


def test_scanner_and_big_screen_pages(client, login, setup):
    event, tree = setup["event"], setup["tree"]
    assert client.get(f"/events/{event.id}/scanner").status_code == 302
    login(tree["checker_a"])
    html = client.get(f"/events/{event.id}/scanner").get_data(as_text=True)
    assert 'name="csrf-token"' in html and "vendor/jsQR.js" in html and "scanner.js" in html and "待同步" in html
    screen = client.get(f"/events/{event.id}/screen", follow_redirects=True).get_data(as_text=True)
    assert "签到人次" in screen and "50" in screen  # the old big-screen URL now opens the venue wall
    login(tree["viewer_a"])
    assert client.get(f"/events/{event.id}/scanner").status_code == 403
    assert client.get(f"/events/{event.id}/screen", follow_redirects=True).status_code == 200
    login(tree["org_b"])
    assert client.get(f"/events/{event.id}/scanner").status_code == 404
    assert client.get(f"/events/{event.id}/screen").status_code == 404
    assert client.get("/static/vendor/jsQR.js").status_code == 200


def test_csrf_is_enforced_on_the_api(setup, database_url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": True})
    event, reg = setup["event"], setup["regs"][0]
    with app.test_client() as c:
        page = c.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        c.post("/login", data={"username": "checker_a", "password": "correct-horse-26", "csrf_token": token})
        scanner = c.get(f"/events/{event.id}/scanner").get_data(as_text=True)
        meta = re.search(r'name="csrf-token" content="([^"]+)"', scanner).group(1)
        body = {"scans": [{"client_scan_id": str(uuid.uuid4()), "code": reg.token}]}
        refused = c.post(f"/api/events/{event.id}/sync", json=body)
        assert refused.status_code == 400 and refused.is_json and refused.get_json()["ok"] is False
        assert db.session.scalar(select(func.count(ScanRecord.id))) == 0
        ok = c.post(f"/api/events/{event.id}/sync", json=body, headers={"X-CSRFToken": meta})
        assert ok.status_code == 200 and ok.get_json()["results"][0]["outcome"] == "success"


def test_offline_scan_time_is_kept_but_never_in_the_future(login, client, setup):
    event, reg = setup["event"], setup["regs"][0]
    login(setup["tree"]["checker_a"])
    seen = utcnow() - timedelta(minutes=3)
    ms = int((seen - datetime(1970, 1, 1)).total_seconds() * 1000)
    scan(client, event, reg.token, scanned_at=ms)
    stored = db.session.scalar(select(CheckIn))
    assert abs((stored.checked_in_at - seen).total_seconds()) < 2
    scan(client, event, setup["regs"][1].token, scanned_at=ms + 10**9)
    later = db.session.scalar(select(CheckIn).where(CheckIn.id != stored.id))
    assert later.checked_in_at <= utcnow()


def test_a_scan_reads_its_figures_before_the_commit_and_nothing_after(login, client, setup):
    """The answer's figures include the scan, and come from the scan's own transaction (no second one): on
    PostgreSQL from the check-in's statement itself."""
    from sqlalchemy import event as sa_event

    event, reg = setup["event"], setup["regs"][1]
    login(setup["tree"]["checker_a"])
    steps: list[str] = []

    def statement(_conn, _cursor, sql, *_args):  # type: ignore[no-untyped-def]
        steps.append(" ".join(sql.split())[:60])

    def commit(_conn):  # type: ignore[no-untyped-def]
        steps.append("COMMIT")

    engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", statement)
    sa_event.listen(engine, "commit", commit)
    try:
        answer = scan(client, event, reg.token)
    finally:
        sa_event.remove(engine, "before_cursor_execute", statement)
        sa_event.remove(engine, "commit", commit)
    assert answer["result"]["outcome"] == "success" and answer["stats"]["checked_in"] == 1
    assert answer["stats"]["registered"] == 3
    assert steps[-1] == "COMMIT" and steps.count("COMMIT") == 1, steps
    if db.session.get_bind().dialect.name == "postgresql":  # returned by the check-in's own statement
        assert steps[-2].startswith("WITH c AS (INSERT INTO check_in"), steps
    else:
        assert steps[-2].startswith("SELECT checkins, pending, registered"), steps
