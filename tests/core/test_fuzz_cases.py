"""The concrete inputs from issue 8 §3 that gave 500s, each answered 4xx with a clear message."""
from __future__ import annotations

import json
from typing import Any

import pytest


@pytest.fixture
def event(tree, create_program, create_event) -> Any:  # type: ignore[no-untyped-def]
    return create_event(create_program(org=tree["root"]), tree["a"])


@pytest.mark.parametrize("url", [
    "/events/99999999999999999999", "/events/9223372036854775808", "/events/2147483648", "/events/0",
    "/programs/18446744073709551616/edit", "/api/events/99999999999999999999/stats",
    "/reports/year/99999999999999999999.pdf",
])
def test_ids_beyond_64_bits_are_not_found(tree, login, url: str) -> None:  # type: ignore[no-untyped-def]
    assert login(tree["admin"]).get(url).status_code == 404


def test_nul_in_a_public_path_is_a_clear_400(client, event) -> None:  # type: ignore[no-untyped-def]
    resp = client.get(f"/c/{event.code}%00")
    assert resp.status_code == 400
    assert "网址中含有无效字符" in resp.get_data(as_text=True)


def test_control_characters_in_a_form_are_refused_and_not_stored(client, event) -> None:  # type: ignore[no-untyped-def]
    from eventsvc.checkin.models import Participant
    from eventsvc.extensions import db

    resp = client.post(f"/c/{event.code}", data={"name": "张\x00三", "phone": "13812345678", "consent": "y"})
    assert resp.status_code == 400
    assert "无效字符" in resp.get_data(as_text=True)
    assert db.session.query(Participant).count() == 0


def test_newlines_in_a_text_area_are_fine(client, event) -> None:  # type: ignore[no-untyped-def]
    resp = client.post(f"/c/{event.code}", data={"name": "张三", "phone": "13812345678", "workplace": "美团\r\n平湖站"})
    assert resp.status_code < 500
    assert "无效字符" not in resp.get_data(as_text=True)


def test_huge_number_in_query_is_a_clear_400(tree, login) -> None:  # type: ignore[no-untyped-def]
    resp = login(tree["admin"]).get("/events?program_id=99999999999999999999")
    assert resp.status_code == 400
    assert "数字太大" in resp.get_data(as_text=True)


@pytest.mark.parametrize("body, message", [
    ("[" * 5000 + "]" * 5000, "嵌套太深"),
    (json.dumps({"scans": [{"client_scan_id": "abcdefgh-1", "participant_id": 9223372036854775808}]}), "超出范围"),
    (json.dumps({"scans": [{"client_scan_id": "abcdefgh-1", "code": "abc\u0000"}]}), "无效字符"),
    ('{"scans": [', "不是有效的 JSON"),
    ('{"scans": [{"client_scan_id": "abcdefgh-1", "participant_id": 1, "scanned_at": NaN}]}', "不是有效的 JSON"),
    ('{"scans": [{"client_scan_id": "abcdefgh-1", "participant_id": 1, "scanned_at": -Infinity}]}', "不是有效的 JSON"),
])
def test_scanner_api_refuses_bad_json_in_chinese(tree, login, event, body: str, message: str) -> None:  # type: ignore[no-untyped-def]
    resp = login(tree["checker_a"]).post(f"/api/events/{event.id}/sync", data=body, content_type="application/json")
    assert resp.status_code == 400
    assert resp.is_json and message in resp.get_json()["error"]


def test_scanner_participant_id_as_a_huge_string_is_a_refused_scan(tree, login, event) -> None:  # type: ignore[no-untyped-def]
    body = {"scans": [{"client_scan_id": "abcdefgh-1", "participant_id": "9" * 25}]}
    resp = login(tree["checker_a"]).post(f"/api/events/{event.id}/sync", json=body)
    assert resp.status_code == 200
    assert resp.get_json()["results"][0]["message"] == "人员编号无效。"


def test_json_body_over_the_size_limit_is_refused(tree, login, event, app) -> None:  # type: ignore[no-untyped-def]
    app.config["JSON_MAX_BYTES"] = 1000
    body = json.dumps({"scans": [], "pad": "x" * 2000})
    resp = login(tree["checker_a"]).post(f"/api/events/{event.id}/sync", data=body, content_type="application/json")
    assert resp.status_code == 400
    assert "太大" in resp.get_json()["error"]


def test_year_0001_on_the_event_form_is_a_field_error(tree, login, event) -> None:  # type: ignore[no-untyped-def]
    data = {"program_id": str(event.program_id), "organization_id": str(event.organization_id), "title": "测试",
            "level": "区级", "kind": "其他", "starts_at": "0001-01-01T00:00", "ends_at": "0001-01-01T03:00"}
    resp = login(tree["admin"]).post(f"/events/{event.id}/edit", data=data)
    assert resp.status_code == 200
    assert "日期应在 2000–2100 年之间" in resp.get_data(as_text=True)


def test_year_0001_on_the_program_form_is_a_field_error(tree, login, create_program) -> None:  # type: ignore[no-untyped-def]
    program = create_program(org=tree["root"])
    resp = login(tree["admin"]).post(f"/programs/{program.id}/edit", data={
        "year": "2026", "name": program.name, "starts_on": "0001-01-01", "ends_on": "9999-12-31"})
    assert resp.status_code == 400  # the form again, with its errors
    assert "日期应在 2000–2100 年之间" in resp.get_data(as_text=True)


def test_capacity_beyond_the_column_is_a_field_error(tree, login, event) -> None:  # type: ignore[no-untyped-def]
    data = {"program_id": str(event.program_id), "organization_id": str(event.organization_id), "title": "测试",
            "level": "区级", "kind": "其他", "starts_at": "2026-07-01T09:00", "ends_at": "2026-07-01T11:00",
            "capacity": "99999999999"}
    resp = login(tree["admin"]).post(f"/events/{event.id}/edit", data=data)
    assert resp.status_code == 200
    assert "数字太大" in resp.get_data(as_text=True)


@pytest.mark.parametrize("query", ["date_from=0001-01-01", "date_to=9999-12-31", "page=999999999999999999"])
def test_extreme_list_filters_still_list(tree, login, query: str) -> None:  # type: ignore[no-untyped-def]
    assert login(tree["admin"]).get(f"/events?{query}").status_code == 200
