"""Excel exports read back with openpyxl: headers, real dates, frozen header, neutralized formulas."""
from __future__ import annotations

import io
from datetime import datetime

from openpyxl import load_workbook

from eventsvc.checkin.operations import upsert_participant
from eventsvc.core.timeutil import to_local
from eventsvc.extensions import db
from eventsvc.programs.models import ATTENDANCES, SESSIONS
from eventsvc.programs.operations import TargetSpec


def _book(data: bytes):  # type: ignore[no-untyped-def]
    return load_workbook(io.BytesIO(data))


def test_event_checkins_export(client, login, tree, street_event, create_check_in):
    event = street_event(people=2)
    evil = upsert_participant("=HYPERLINK(\"http://x\")", "13900001111", "@SUM(A1)", "", by=None)
    db.session.commit()
    record = create_check_in(event, evil)
    login(tree["viewer_a"])
    resp = client.get(f"/events/{event.id}/checkins.xlsx")
    assert resp.status_code == 200
    assert resp.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in resp.headers["Content-Disposition"]
    ws = _book(resp.data)["签到明细"]
    assert [c.value for c in ws[1]] == [
        "序号", "姓名", "手机号", "单位", "人群类别", "签到时间", "签到方式", "签退时间", "时长（分钟）",
    ]
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["D"].width >= 20
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 3
    assert rows[0][1] == "职工001" and rows[0][2] == "138****0000" and rows[0][4] == "外卖员"
    assert isinstance(rows[0][5], datetime)
    last = rows[2]
    assert last[1] == "'=HYPERLINK(\"http://x\")" and last[3] == "'@SUM(A1)"
    assert abs((last[5] - to_local(record.checked_in_at)).total_seconds()) < 1  # China time, a real date
    assert last[6] == "扫码自助"


def test_program_ledger_export_has_three_sheets(client, login, tree, create_program, create_event, create_check_in,
                                                create_participant):
    program = create_program(org=tree["root"], name="普法宣传", targets=[TargetSpec(SESSIONS, 4),
                                                                       TargetSpec(ATTENDANCES, 10)])
    e1 = create_event(program, tree["a"], title="平湖普法讲座")
    e2 = create_event(program, tree["b"], title="+坂田普法")
    create_check_in(e1, create_participant("赵六", "13700001234"))
    create_check_in(e2)
    login(tree["admin"])
    resp = client.get(f"/programs/{program.id}/ledger.xlsx")
    assert resp.status_code == 200
    book = _book(resp.data)
    assert book.sheetnames == ["目标与进度", "活动场次", "签到明细"]

    targets = list(book["目标与进度"].iter_rows(min_row=2, max_row=3, values_only=True))
    assert targets[0][:5] == ("全区", "场次", "场", 4, 2)
    assert abs(targets[0][5] - 0.5) < 1e-9 and targets[0][6] == 2
    assert targets[1][:5] == ("全区", "人次", "人次", 10, 2)

    events = book["活动场次"]
    assert events.freeze_panes == "A2"
    titles = {row[2]: row for row in events.iter_rows(min_row=2, values_only=True)}
    assert set(titles) == {"平湖普法讲座", "'+坂田普法"}
    assert isinstance(titles["平湖普法讲座"][1], datetime) and titles["平湖普法讲座"][7] == 1

    checkins = list(book["签到明细"].iter_rows(min_row=2, values_only=True))
    assert len(checkins) == 2
    zhao = next(r for r in checkins if r[3] == "赵六")
    assert zhao[4] == "137****1234" and isinstance(zhao[7], datetime)


def test_street_users_ledger_export_leaves_out_other_streets(client, login, tree, create_program, create_event,
                                                            create_check_in):
    program = create_program(org=tree["root"])
    create_check_in(create_event(program, tree["a"], title="平湖场"))
    create_check_in(create_event(program, tree["b"], title="坂田场"))
    login(tree["org_a"])
    book = _book(client.get(f"/programs/{program.id}/ledger.xlsx").data)
    assert [r[2] for r in book["活动场次"].iter_rows(min_row=2, values_only=True)] == ["平湖场"]
    assert len(list(book["签到明细"].iter_rows(min_row=2))) == 1


def test_import_template_has_the_columns_and_group_choices(client, login, tree, street_event):
    event = street_event(people=0)
    login(tree["org_a"])
    resp = client.get(f"/events/{event.id}/import-template.xlsx")
    assert resp.status_code == 200
    book = _book(resp.data)
    ws = book["签到名单"]
    assert [c.value for c in ws[1]] == ["姓名", "手机号", "单位", "人群类别", "签到时间"]
    assert ws["B2"].number_format == "@"
    (validation,) = ws.data_validations.dataValidation
    assert "外卖员" in validation.formula1
    notes = {row[0]: row[1] for row in book["填写说明"].iter_rows(values_only=True)}
    assert notes["活动名称"] == "平湖暖蜂驿站集中服务日"
