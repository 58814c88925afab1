"""签退 on reports: check-out time and stay on the roster of check-out events and in both spreadsheets."""
from __future__ import annotations

import io
from datetime import datetime, timedelta

from openpyxl import load_workbook

from eventsvc.checkin.operations import check_out
from eventsvc.core.timeutil import to_local
from eventsvc.extensions import db
from eventsvc.reports.pdf_roster import (
    build_blank_roster_pdf,
    build_roster_pdf,
    format_duration,
)
from eventsvc.reports.records import EventHeader, RosterRow
from tests.reports.conftest import pdf_pages, pdf_text

START = datetime(2026, 7, 1, 1, 0)  # 09:00 China time


def _header(checkout: bool) -> EventHeader:
    return EventHeader("新就业形态劳动者服务月", "平湖暖蜂驿站集中服务日", START, START + timedelta(hours=3),
                       "平湖街道暖蜂驿站", "平湖街道总工会", checkout_enabled=checkout)


def _checkout_event(create_program, create_event, create_participant, create_check_in, tree):  # type: ignore[no-untyped-def]
    """A check-out event: 张三 stayed 85 minutes, 李四 has not left yet."""
    program = create_program(org=tree["root"], name="夏送清凉")
    event = create_event(program, tree["a"], title="平湖夏送清凉慰问", checkout_enabled=True)
    stayed = create_check_in(event, create_participant("张三", "13800001111", "顺丰平湖点", "快递员"))
    create_check_in(event, create_participant("李四", "13800002222", "美团平湖站", "外卖员"))
    check_out(stayed, by=tree["checker_a"], at=stayed.checked_in_at + timedelta(minutes=85, seconds=30))
    db.session.commit()
    return program, event, stayed


def test_format_duration():
    assert format_duration(None) == ""
    assert format_duration(0) == "0分钟"
    assert format_duration(59) == "59分钟"
    assert format_duration(85) == "1小时25分"
    assert format_duration(120) == "2小时"


def test_checkout_event_roster_prints_check_out_time_and_stay(client, login, tree, create_program, create_event,
                                                              create_participant, create_check_in):
    _, event, stayed = _checkout_event(create_program, create_event, create_participant, create_check_in, tree)
    login(tree["org_a"])
    resp = client.get(f"/events/{event.id}/roster.pdf")
    assert resp.status_code == 200
    pages = pdf_pages(resp.data)
    assert len(pages) == 1
    text = pdf_text(resp.data)
    for expected in ("签到时间", "签退时间", "时长", "签名", "张三", "李四", "1小时25分",
                     to_local(stayed.checked_out_at).strftime("%H:%M"), "已签退1人，未签退1人"):
        assert expected in text, expected
    assert "分钟" not in text  # 李四 has no stay printed


def test_roster_without_checkout_has_no_checkout_columns(client, login, tree, street_event):
    event = street_event(people=2)
    login(tree["org_a"])
    text = pdf_text(client.get(f"/events/{event.id}/roster.pdf").data)
    assert "签到时间" in text and "职工001" in text
    assert "签退" not in text and "时长" not in text


def test_checkout_columns_follow_the_event_not_the_rows():
    row = RosterRow("王五", "13812345678", "美团", "外卖员", START, "扫码自助", START + timedelta(minutes=40))
    assert "签退" not in pdf_text(build_roster_pdf(_header(False), [row]))
    text = pdf_text(build_roster_pdf(_header(True), [row]))
    assert "签退时间" in text and "40分钟" in text and "09:40" in text


def test_overnight_stay_prints_dates_with_times():
    row = RosterRow("王五", "13812345678", "美团", "外卖员", START + timedelta(hours=13),  # 22:00
                    "扫码自助", START + timedelta(hours=16, minutes=5))  # 01:05 next day
    text = pdf_text(build_roster_pdf(_header(True), [row]))
    assert "07-0122:00" in text and "07-0201:05" in text and "3小时5分" in text


def test_blank_sheet_of_a_checkout_event_has_checkout_columns():
    with_checkout = pdf_text(build_blank_roster_pdf(_header(True), 25))
    assert "签退时间" in with_checkout and "签退签名" in with_checkout
    without = pdf_text(build_blank_roster_pdf(_header(False), 25))
    assert "签退" not in without


def test_event_xlsx_has_checkout_time_and_minutes(client, login, tree, create_program, create_event,
                                                  create_participant, create_check_in):
    _, event, stayed = _checkout_event(create_program, create_event, create_participant, create_check_in, tree)
    login(tree["viewer_a"])
    resp = client.get(f"/events/{event.id}/checkins.xlsx")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data))["签到明细"]
    header = [c.value for c in ws[1]]
    assert header[-2:] == ["签退时间", "时长（分钟）"]
    rows = {r[1]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    out_at, minutes = rows["张三"][-2:]
    assert isinstance(out_at, datetime)
    assert abs((out_at - to_local(stayed.checked_out_at)).total_seconds()) < 1  # China time, a real date
    assert minutes == 85 and isinstance(minutes, int)
    assert rows["李四"][-2:] == (None, None)


def test_ledger_xlsx_check_ins_sheet_has_checkout_time_and_minutes(client, login, tree, create_program,
                                                                   create_event, create_participant,
                                                                   create_check_in):
    program, _, stayed = _checkout_event(create_program, create_event, create_participant, create_check_in, tree)
    login(tree["admin"])
    resp = client.get(f"/programs/{program.id}/ledger.xlsx")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data))["签到明细"]
    header = [c.value for c in ws[1]]
    assert header[-2:] == ["签退时间", "时长（分钟）"]
    rows = {r[header.index("姓名")]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    out_at, minutes = rows["张三"][-2:]
    assert isinstance(out_at, datetime)
    assert abs((out_at - to_local(stayed.checked_out_at)).total_seconds()) < 1
    assert minutes == 85
    assert rows["李四"][-2:] == (None, None)
