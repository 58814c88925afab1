"""Importing paper sign-in sheets: preview classifies rows, confirm writes exactly the valid ones, atomically."""
from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from eventsvc.checkin.models import IMPORT, CheckIn, Participant
from eventsvc.core.timeutil import to_local
from eventsvc.extensions import db
from eventsvc.progress.queries import totals_by_program
from eventsvc.reports import operations as report_ops


def _sheet(client, event, rows: list[list[Any]]) -> bytes:  # type: ignore[no-untyped-def]
    """Fill the downloaded template with rows, as staff would."""
    book = load_workbook(io.BytesIO(client.get(f"/events/{event.id}/import-template.xlsx").data))
    ws = book["签到名单"]
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=value)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _upload(client, event, data: bytes, filename: str = "签到表.xlsx"):  # type: ignore[no-untyped-def]
    return client.post(f"/events/{event.id}/import", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def _token(html: str) -> str:
    return html.split('name="token" value="', 1)[1].split('"', 1)[0]


def _count(event) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count(CheckIn.id)).where(CheckIn.event_id == event.id)) or 0


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
    resp = _upload(client, event, _sheet(client, event, _mixed_rows(event)))
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "将导入 2 行" in html and "重复 2 行" in html and "有误 4 行" in html
    for reason in ("此手机号本场已签到", "与第 2 行手机号重复", "请填写姓名", "请输入正确的 11 位手机号码",
                   "人群类别“宇航员”无效", "签到时间“昨天下午”无法识别"):
        assert reason in html, reason
    assert "138****1111" in html
    assert _count(event) == 1
    assert db.session.scalar(select(Participant).where(Participant.phone == "13800001111")) is None


def test_confirm_adds_exactly_the_valid_rows_as_imported(client, login, tree, street_event):
    event = street_event(people=1)
    login(tree["org_a"])
    token = _token(_upload(client, event, _sheet(client, event, _mixed_rows(event))).get_data(as_text=True))
    resp = client.post(f"/events/{event.id}/import/confirm", data={"token": token}, follow_redirects=True)
    assert "已导入 2 条签到记录" in resp.get_data(as_text=True)

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
    assert _count(event) == 3


def test_confirm_revalidates_duplicates_that_appeared_meanwhile(client, login, tree, street_event, create_check_in,
                                                               create_participant):
    event = street_event(people=0)
    login(tree["org_a"])
    rows = [["张三", "13800001111", "", "", None], ["李四", "13800002222", "", "", None]]
    token = _token(_upload(client, event, _sheet(client, event, rows)).get_data(as_text=True))
    create_check_in(event, create_participant("张三", "13800001111"))  # scanned in before the confirm
    resp = client.post(f"/events/{event.id}/import/confirm", data={"token": token}, follow_redirects=True)
    assert "已导入 1 条签到记录，跳过 1 行" in resp.get_data(as_text=True)
    assert _count(event) == 2


def test_import_is_all_or_nothing_when_the_database_fails(client, login, tree, street_event, monkeypatch):
    event = street_event(people=0)
    login(tree["org_a"])
    rows = [[f"职工{n}", f"1380000{n:04d}", "", "", None] for n in range(5)]
    token = _token(_upload(client, event, _sheet(client, event, rows)).get_data(as_text=True))

    real_check_in = report_ops.check_in
    calls = {"n": 0}

    def failing_check_in(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 4:
            raise OperationalError("INSERT INTO check_in", {}, Exception("disk I/O error"))
        return real_check_in(*args, **kwargs)

    monkeypatch.setattr(report_ops, "check_in", failing_check_in)
    resp = client.post(f"/events/{event.id}/import/confirm", data={"token": token}, follow_redirects=True)
    assert "导入失败，没有写入任何记录" in resp.get_data(as_text=True)
    db.session.remove()
    assert _count(event) == 0
    assert db.session.scalar(select(func.count(Participant.id)).where(Participant.phone.like("1380000%"))) == 0

    monkeypatch.setattr(report_ops, "check_in", real_check_in)  # the preview survives: retry works
    client.post(f"/events/{event.id}/import/confirm", data={"token": token})
    assert _count(event) == 5


def test_upload_rejects_other_formats_and_oversized_files(app, client, login, tree, street_event):
    event = street_event(people=0)
    login(tree["org_a"])
    resp = _upload(client, event, "姓名,手机号\n张三,13800001111\n".encode(), "签到表.csv")
    assert resp.status_code == 400 and "只支持 .xlsx" in resp.get_data(as_text=True)
    resp = _upload(client, event, b"PK\x03\x04 not really a zip", "签到表.xlsx")
    assert resp.status_code == 400 and "文件无法读取" in resp.get_data(as_text=True)
    app.config["IMPORT_MAX_BYTES"] = 1024 * 1024
    resp = _upload(client, event, b"PK" + b"\0" * (1024 * 1024 + 10))
    assert resp.status_code == 400 and "文件太大" in resp.get_data(as_text=True)
    other = Workbook()
    other.active.append(["序号", "名字不对"])
    buf = io.BytesIO()
    other.save(buf)
    resp = _upload(client, event, buf.getvalue())
    assert resp.status_code == 400 and "“姓名”和“手机号”" in resp.get_data(as_text=True)
    assert _count(event) == 0


def test_import_needs_a_manager_in_scope(client, login, tree, street_event):
    event = street_event(people=0)
    data_rows = [["张三", "13800001111", "", "", None]]
    login(tree["org_a"])
    token = _token(_upload(client, event, _sheet(client, event, data_rows)).get_data(as_text=True))
    for user, status in (("checker_a", 403), ("viewer_a", 403), ("org_b", 404)):
        login(tree[user])
        assert client.get(f"/events/{event.id}/import").status_code == status
        assert client.post(f"/events/{event.id}/import/confirm", data={"token": token}).status_code == status
    login(tree["admin"])  # another manager cannot confirm someone else's preview
    resp = client.post(f"/events/{event.id}/import/confirm", data={"token": token}, follow_redirects=True)
    assert "预览已失效" in resp.get_data(as_text=True)
    assert _count(event) == 0


def test_future_and_cancelled_events_refuse_imports(client, login, tree, street_event):
    event = street_event(people=0, starts_in=timedelta(days=2))
    login(tree["org_a"])
    page = client.get(f"/events/{event.id}/import").get_data(as_text=True)
    assert "活动尚未开始，不能导入" in page
