"""Issue 10 §2–§3 in the downloads: every 人次 figure shows its parts, reported figures their review states
(已审核 / 待审核), and percents have one decimal — in the ledger PDF and xlsx and the year overview PDF."""
from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook

from eventsvc.events.operations import update_event
from eventsvc.extensions import db
from eventsvc.programs.models import ATTENDANCES, CUSTOM, KIND_REPORTED, SESSIONS
from eventsvc.programs.operations import TargetSpec
from eventsvc.programs.reported_operations import submit_figure
from tests.reports.conftest import pdf_text

PARTS = "扫码签到 0 + 现场填报 1600 + 线上 300"  # a hall without phones


@pytest.fixture
def program(tree: dict[str, Any], create_program: Any, create_event: Any) -> Any:
    """A lecture counted from events and reported figures: one approved (37 家), one waiting (5 家)."""
    program = create_program(org=tree["root"], name="劳模工匠宣讲", targets=[
        TargetSpec(ATTENDANCES, 80000), TargetSpec(SESSIONS, 3, organization=tree["a"]),
        TargetSpec(CUSTOM, 1000, label="新增建会企业", unit="家", kind=KIND_REPORTED)])
    lecture = create_event(program, tree["a"], title="劳模宣讲进礼堂")
    update_event(lecture, by=None, onsite_count=1600, online_count=300)
    submit_figure(program, tree["a"], by=tree["admin"], label="新增建会企业", period=date(2026, 1, 1), value=37)
    submit_figure(program, tree["a"], by=tree["org_a"], label="新增建会企业", period=date(2026, 2, 1), value=5)
    db.session.commit()
    return program


def test_ledger_xlsx_shows_parts_review_states_and_one_decimal(client: Any, login: Any, tree: dict[str, Any],
                                                               program: Any) -> None:
    login(tree["admin"])
    resp = client.get(f"/programs/{program.id}/ledger.xlsx")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data))["目标与进度"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0][-1] == "说明"
    notes = {(r[0], r[1]): r[7] for r in rows[1:] if r and len(r) > 7}
    assert notes[("全区", "人次")] == PARTS
    assert notes[("全区", "新增建会企业")] == "已审核 37；待审核 5"
    assert notes[("实际完成", "人次")] == PARTS and notes[("实际完成", "人数")] == "仅实名签到"
    share = next(row for row in ws.iter_rows() if row[1].value == "场次" and row[0].value != "实际完成")
    assert share[5].number_format == "0.0%" and round(share[5].value, 3) == 0.333


def test_ledger_pdf_shows_parts_review_states_and_one_decimal_bars(client: Any, login: Any,
                                                                   tree: dict[str, Any], program: Any) -> None:
    login(tree["admin"])
    resp = client.get(f"/programs/{program.id}/ledger.pdf")
    assert resp.status_code == 200
    text = pdf_text(resp.data)
    assert "".join(PARTS.split()) in text
    assert "已审核37；待审核5" in text
    assert text.count("33.3%") >= 2  # the share's row and its bar label
    assert "33%" not in text  # bars no longer round to whole percents


def test_year_overview_pdf_shows_parts_and_review_states(client: Any, login: Any, tree: dict[str, Any],
                                                         program: Any) -> None:
    login(tree["admin"])
    resp = client.get("/reports/year/2026.pdf")
    assert resp.status_code == 200
    text = pdf_text(resp.data)
    assert "".join(PARTS.split()) in text
    assert "已审核37；待审核5" in text and "3.7%" in text  # 37 of 1000 家, one decimal
