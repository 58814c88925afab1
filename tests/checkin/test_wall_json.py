"""The venue wall's figures: count, composition by method, latest names masked, pending ones left out."""
from __future__ import annotations

from eventsvc.checkin.models import CHECKIN_PENDING, IMPORT, MANUAL, STAFF_SCAN
from eventsvc.checkin.operations import check_in
from eventsvc.checkin.staff.wall_views import mask_name
from eventsvc.extensions import db


def test_mask_name_keeps_only_first_and_last_character():
    assert [mask_name(n) for n in ("王小明", "李四", "欧阳娜娜", "张", "")] == ["王*明", "李*", "欧**娜", "张*", "**"]


def test_wall_json_counts_by_method_and_masks_names(client, login, tree, create_event, create_participant,
                                                    create_check_in):
    event = create_event(org=tree["a"], expected_attendance=40)
    create_check_in(event, create_participant(name="王小明", phone="13800000001"))
    for name, n, method in (("李四", 2, STAFF_SCAN), ("欧阳娜娜", 3, MANUAL), ("赵六", 4, IMPORT)):
        person = create_participant(name=name, phone=f"1380000000{n}")
        check_in(event, person, by=tree["checker_a"], method=method, enforce_window=False)
    db.session.commit()
    held = create_check_in(event, create_participant(name="钱七", phone="13800000005"))
    held.status = CHECKIN_PENDING  # 待核实: not counted until an organizer confirms it
    db.session.commit()

    login(tree["checker_a"])
    response = client.get(f"/api/events/{event.id}/wall")
    data = response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    assert data["count"] == 4 and data["goal"] == 40 and data["percent"] == 10.0
    assert {p["key"]: p["count"] for p in data["composition"]} == {"scan": 2, "manual": 1, "import": 1}
    assert sorted(p["name"] for p in data["recent"]) == sorted(["王*明", "李*", "欧**娜", "赵*"])
    text = response.get_data(as_text=True)
    for secret in ("王小明", "李四", "欧阳娜娜", "钱", "1380000"):
        assert secret not in text

    page = client.get(f"/events/{event.id}/wall").get_data(as_text=True)
    assert "王*明" in page and "王小明" not in page and "现场登记" in page and "导入" in page


def test_old_urls_redirect_to_the_wall_and_scope_holds(client, login, tree, create_event):
    event = create_event(org=tree["a"])
    login(tree["viewer_a"])
    for old in ("qr", "screen"):
        response = client.get(f"/events/{event.id}/{old}")
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/events/{event.id}/wall")
    login(tree["org_b"])
    for path in ("qr", "screen", "wall"):
        assert client.get(f"/events/{event.id}/{path}").status_code == 404
    assert client.get(f"/api/events/{event.id}/wall").status_code == 404


def test_cancelled_event_wall_says_so(client, login, tree, create_event):
    from eventsvc.events.operations import cancel_event

    event = create_event(org=tree["a"], qr_mode="dynamic")
    cancel_event(event, by=tree["org_a"])
    db.session.commit()
    login(tree["org_a"])
    page = client.get(f"/events/{event.id}/wall").get_data(as_text=True)
    assert "活动已取消，职工扫码将无法签到" in page and 'data-refresh' not in page
