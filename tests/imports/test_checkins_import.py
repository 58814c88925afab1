"""Importing paper sign-in sheets: preview classifies rows, confirm writes exactly the valid ones, atomically."""
from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select

from eventsvc.checkin.models import IMPORT, CheckIn, Participant
from eventsvc.core.timeutil import to_local
from eventsvc.events.operations import cancel_event
from eventsvc.extensions import db
from eventsvc.progress.queries import totals_by_program
from tests.imports.sheets import check_in_count, confirm, filled_template, token_of, upload


def _mixed_rows(event) -> list[list[Any]]:  # type: ignore[no-untyped-def]
    start = to_local(event.starts_at)
    return [
        ["张三", "13800001111", "顺丰平湖站", "快递员", start + timedelta(minutes=5)],   # new (a real date cell)
        ["李四", "139 0000 2222", "", "", "09:30"],                                      # new, time on the event day
        ["职工001", "13812340000", "美团平湖站", "外卖员", None],                           # already checked in
        ["张三又一次", "13800001111", "", "", None],                                       # repeated in the sheet
        ["", "13800003333", "", "", None],                                               # no name
        ["王五", "12345", "", "", None],                                                 # bad phone
        ["赵六", "13800004444", "", "宇航员", None],                                       # unknown group
        ["钱七", "13800005555", "", "", "昨天下午"],                                        # unreadable time
    ]


def test_preview_classifies_rows_and_writes_nothing(client, login, tree, street_event):
    event = street_event(people=1)
    login(tree["org_a"])
    resp = upload(client, event, filled_template(client, event, _mixed_rows(event)))
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "将导入 2 行" in html and "重复 2 行" in html and "有误 4 行" in html
    for reason in ("此手机号本场已签到", "与第 2 行手机号重复", "请填写姓名", "请输入正确的 11 位手机号码",
                   "人群类别“宇航员”无效", "签到时间“昨天下午”无法识别"):
        assert reason in html, reason
    assert "138****1111" in html
    assert check_in_count(event) == 1
    assert db.session.scalar(select(Participant).where(Participant.phone == "13800001111")) is None


def test_confirm_adds_exactly_the_valid_rows_as_imported(client, login, tree, street_event):
    event = street_event(people=1)
    login(tree["org_a"])
    token = token_of(upload(client, event, filled_template(client, event, _mixed_rows(event))).get_data(as_text=True))
    resp = client.post(f"/events/{event.id}/import/confirm", data={"token": token}, follow_redirects=True)
    assert "已导入 2 条签到记录" in resp.get_data(as_text=True)
    assert resp.request.path == f"/events/{event.id}"  # back on the event's page

    imported = db.session.scalars(select(CheckIn).where(CheckIn.event_id == event.id, CheckIn.method == IMPORT)).all()
    assert sorted(c.participant.name for c in imported) == ["张三", "李四"]
    assert all(c.by_user_id == tree["org_a"].id for c in imported)
    zhang = next(c for c in imported if c.participant.name == "张三")
    assert abs((zhang.checked_in_at - (event.starts_at + timedelta(minutes=5))).total_seconds()) < 1
    li = next(c for c in imported if c.participant.name == "李四")
    assert to_local(li.checked_in_at).strftime("%H:%M") == "09:30"
    assert totals_by_program([event.program_id])[event.program_id].attendances == 3  # counts like any other

    again = client.post(f"/events/{event.id}/import/confirm", data={"token": token}, follow_redirects=True)
    assert "预览已失效" in again.get_data(as_text=True)
    assert check_in_count(event) == 3


def test_confirm_revalidates_duplicates_that_appeared_meanwhile(client, login, tree, street_event, create_check_in,
                                                               create_participant):
    event = street_event(people=0)
    login(tree["org_a"])
    rows = [["张三", "13800001111", "", "", None], ["李四", "13800002222", "", "", None]]
    token = token_of(upload(client, event, filled_template(client, event, rows)).get_data(as_text=True))
    create_check_in(event, create_participant("张三", "13800001111"))  # scanned in before the confirm
    resp = client.post(f"/events/{event.id}/import/confirm", data={"token": token}, follow_redirects=True)
    assert "已导入 1 条签到记录，跳过 1 行" in resp.get_data(as_text=True)
    assert check_in_count(event) == 2


def test_upload_rejects_other_formats_and_oversized_files(app, client, login, tree, street_event):
    event = street_event(people=0)
    login(tree["org_a"])
    resp = upload(client, event, "姓名,手机号\n张三,13800001111\n".encode(), "签到表.csv")
    assert resp.status_code == 400 and "只支持 .xlsx" in resp.get_data(as_text=True)
    resp = upload(client, event, b"PK\x03\x04 not really a zip", "签到表.xlsx")
    assert resp.status_code == 400 and "文件无法读取" in resp.get_data(as_text=True)
    app.config["IMPORT_MAX_BYTES"] = 1024 * 1024
    resp = upload(client, event, b"PK" + b"\0" * (1024 * 1024 + 10))
    assert resp.status_code == 400 and "文件太大" in resp.get_data(as_text=True)
    other = Workbook()
    other.active.append(["序号", "名字不对"])
    buf = io.BytesIO()
    other.save(buf)
    resp = upload(client, event, buf.getvalue())
    assert resp.status_code == 400 and "“姓名”和“手机号”" in resp.get_data(as_text=True)
    assert check_in_count(event) == 0


def test_import_needs_a_manager_in_scope(client, login, tree, street_event):
    event = street_event(people=0)
    data_rows = [["张三", "13800001111", "", "", None]]
    login(tree["org_a"])
    token = token_of(upload(client, event, filled_template(client, event, data_rows)).get_data(as_text=True))
    for user, status in (("checker_a", 403), ("viewer_a", 403), ("org_b", 404)):
        login(tree[user])
        assert client.get(f"/events/{event.id}/import").status_code == status
        assert client.post(f"/events/{event.id}/import/confirm", data={"token": token}).status_code == status
    login(tree["admin"])  # another manager cannot confirm someone else's preview
    resp = client.post(f"/events/{event.id}/import/confirm", data={"token": token}, follow_redirects=True)
    assert "预览已失效" in resp.get_data(as_text=True)
    assert check_in_count(event) == 0


def test_future_and_cancelled_events_refuse_imports(client, login, tree, street_event):
    future = street_event(people=0, starts_in=timedelta(days=2))
    login(tree["org_a"])
    page = client.get(f"/events/{future.id}/import").get_data(as_text=True)
    assert "活动尚未开始，不能导入" in page and 'name="file"' not in page

    event = street_event(people=0)
    token = token_of(upload(client, event, filled_template(client, event, [["张三", "13800001111", "", "", None]]))
                   .get_data(as_text=True))
    cancel_event(event, by=tree["org_a"])
    db.session.commit()
    assert "活动已取消，不能导入签到" in confirm(client, event, token).get_data(as_text=True)
    assert check_in_count(event) == 0
    resp = upload(client, event, filled_template(client, event, [["李四", "13800002222", "", "", None]]))
    assert resp.status_code == 400 and "活动已取消，不能导入签到" in resp.get_data(as_text=True)
