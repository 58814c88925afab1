"""The registration list: search by name or last four digits, filter by status, xlsx export with masked phones."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from eventsvc.checkin.operations import cancel_registration, register
from eventsvc.extensions import db


@pytest.fixture
def event(create_event, create_program, tree):  # type: ignore[no-untyped-def]
    program = create_program(org=tree["a"])
    event = create_event(program=program, org=tree["a"], starts_in=timedelta(days=2), registration_mode="on",
                         registration_capacity=50, title="报名名单测试")
    regs = {name: register(event, {"name": name, "phone": phone, "workplace": "美团龙岗站"}, by=None)
            for name, phone in (("刘洋", "13811112345"), ("陈静", "13922226789"), ("刘德", "13733334321"))}
    db.session.commit()
    cancel_registration(regs["刘德"], by=None)
    db.session.commit()
    return event


def _names(html: str) -> set[str]:
    return {n for n in ("刘洋", "陈静", "刘德") if f"<td>{n}</td>" in html}


def test_search_by_name_or_last_four_digits_and_filter(client, login, tree, event):
    login(tree["org_a"])
    url = f"/events/{event.id}/registrations"
    assert _names(client.get(url).get_data(as_text=True)) == {"刘洋", "陈静", "刘德"}
    assert _names(client.get(url, query_string={"q": "刘"}).get_data(as_text=True)) == {"刘洋", "刘德"}
    assert _names(client.get(url, query_string={"q": "6789"}).get_data(as_text=True)) == {"陈静"}
    assert _names(client.get(url, query_string={"q": "刘", "status": "cancelled"}).get_data(as_text=True)) == {"刘德"}
    none = client.get(url, query_string={"q": "王"}).get_data(as_text=True)
    assert _names(none) == set() and "没有找到匹配的报名记录" in none


def test_xlsx_export_masks_phones_unless_full_allowed(client, login, tree, event):
    login(tree["checker_a"])
    resp = client.get(f"/events/{event.id}/registrations.xlsx", query_string={"q": "刘"})
    assert resp.status_code == 200
    rows = list(load_workbook(io.BytesIO(resp.data)).worksheets[0].iter_rows(values_only=True))
    assert rows[0][:6] == ("序号", "姓名", "手机号", "单位", "人群类别", "状态")
    body = {r[1]: r for r in rows[1:]}
    assert set(body) == {"刘洋", "刘德"}
    assert body["刘洋"][2] == "138****2345" and body["刘洋"][5] == "已报名" and body["刘德"][5] == "已取消"
    assert client.get(f"/events/{event.id}/registrations.xlsx?phones=full").status_code == 403

    login(tree["org_a"])
    full = client.get(f"/events/{event.id}/registrations.xlsx?phones=full&status=registered")
    rows = list(load_workbook(io.BytesIO(full.data)).worksheets[0].iter_rows(values_only=True))
    assert {r[2] for r in rows[1:]} == {"13811112345", "13922226789"}
