"""The ledger (台账) adds up: headline == held-events table; planned and cancelled apart; who compiled it."""
from __future__ import annotations

import re
from datetime import timedelta

from eventsvc.events.operations import cancel_event, set_quantities, update_event
from eventsvc.extensions import db
from eventsvc.programs.models import ATTENDANCES, SESSIONS
from eventsvc.programs.operations import TargetSpec
from eventsvc.reports.ledger_lines import sum_quantities
from eventsvc.reports.queries import ledger_data
from tests.reports.conftest import pdf_text


def _program(tree, create_program, create_event, create_participant, create_check_in):  # type: ignore[no-untyped-def]
    program = create_program(org=tree["root"], name="夏送清凉", targets=[TargetSpec(SESSIONS, 10),
                                                                          TargetSpec(ATTENDANCES, 100)])
    a1 = create_event(program, tree["a"], title="平湖环卫工人慰问")
    a2 = create_event(program, tree["a_child"], title="白坭坑社区送清凉")
    b1 = create_event(program, tree["b"], title="坂田快递站点慰问")
    soon = create_event(program, tree["a"], title="下周的慰问", starts_in=timedelta(days=7))
    later = create_event(program, tree["b"], title="下月的慰问", starts_in=timedelta(days=30))
    gone = create_event(program, tree["b"], title="台风停办的一场")
    create_event(program, tree["a"], title="还没发布的草稿", publish=False)
    # What made the old ledger disagree with itself: figures entered ahead on events not yet held.
    update_event(soon, by=None, onsite_count=40)
    update_event(later, by=None, online_count=25)
    update_event(a2, by=None, onsite_count=12)
    set_quantities(a1, [("清凉礼包", "份", 300), ("慰问金", "万元", 1.25)], by=None)
    set_quantities(b1, [("清凉礼包", "份", 200)], by=None)
    set_quantities(soon, [("清凉礼包", "份", 999)], by=None)
    cancel_event(gone, by=None, reason="台风红色预警")
    db.session.commit()
    person = create_participant("王五")
    for event in (a1, a2, b1):
        create_check_in(event, person)
    create_check_in(a1)
    create_check_in(soon)  # an early check-in at a planned event still does not count
    return program


def _headline_and_table(text: str) -> tuple[tuple[int, int], tuple[int, int]]:
    head = re.search(r"实际完成：(\d+)场，([\d,]+)人次", text)
    table = re.search(r"活动明细（已举办(\d+)场，([\d,]+)人次）", text)
    assert head and table, text[:600]

    def ints(m: re.Match[str]) -> tuple[int, int]:
        return int(m.group(1)), int(m.group(2).replace(",", ""))

    return ints(head), ints(table)


def test_headline_equals_held_table_for_district_and_street(client, login, tree, create_program, create_event,
                                                            create_participant, create_check_in):
    program = _program(tree, create_program, create_event, create_participant, create_check_in)
    for user, expected in ((tree["district_viewer"], (3, 16)), (tree["org_a"], (2, 15))):
        data = ledger_data(program, user)
        assert (data.achieved.sessions, data.achieved.attendances) == expected
        assert len(data.events) == data.achieved.sessions
        assert sum(e.attendances for e in data.events) == data.achieved.attendances
        assert sum_quantities(data.events) == data.achieved.quantities
        login(user)
        text = pdf_text(client.get(f"/programs/{program.id}/ledger.pdf").data)
        head, table = _headline_and_table(text)
        assert head == table == expected


def test_total_row_and_per_event_figures(client, login, tree, create_program, create_event, create_participant,
                                         create_check_in):
    program = _program(tree, create_program, create_event, create_participant, create_check_in)
    login(tree["district_viewer"])
    text = pdf_text(client.get(f"/programs/{program.id}/ledger.pdf").data)
    assert "状态" in text and "人次构成" in text and "人数" in text and "物资/金额" in text
    # a1: 2 check-ins, 2 people, its quantities with units; the total row sums the held events only.
    assert "已举办2扫码2+现场0+线上02慰问金1.25万元；清凉礼包300份" in text
    assert "已举办13扫码1+现场12+线上01" in text  # a2: a headcount beside one scan (issue 10 §3)
    assert "合计3场16扫码4+现场12+线上04慰问金1.25万元；清凉礼包500份" in text


def test_planned_and_cancelled_sections_carry_no_figures(client, login, tree, create_program, create_event,
                                                         create_participant, create_check_in):
    program = _program(tree, create_program, create_event, create_participant, create_check_in)
    data = ledger_data(program, tree["admin"])
    assert [e.title for e in data.planned] == ["下周的慰问", "下月的慰问"]
    assert [e.title for e in data.cancelled] == ["台风停办的一场"]
    assert "下周的慰问" not in {e.title for e in data.events}
    login(tree["admin"])
    text = pdf_text(client.get(f"/programs/{program.id}/ledger.pdf").data)
    planned = text[text.index("计划中的活动"):text.index("已取消的活动")]
    assert "计划中的活动（2场，尚未举办，不计入场次和人次）" in text
    assert "下周的慰问" in planned and "计划中" in planned and "999" not in planned
    assert "人次" not in planned.split("）", 1)[1]
    cancelled = text[text.index("已取消的活动"):]
    assert "台风停办的一场" in cancelled and "台风红色预警" in cancelled and "已取消" in cancelled
    assert "还没发布的草稿" not in text


def test_compiler_is_the_downloading_users_unit(client, login, tree, create_program, create_event,
                                                create_participant, create_check_in):
    program = _program(tree, create_program, create_event, create_participant, create_check_in)
    login(tree["org_a"])
    text = pdf_text(client.get(f"/programs/{program.id}/ledger.pdf").data)
    assert "编制单位平湖街道总工会" in text and "编制单位：平湖街道总工会" in text
    assert "制表人：" in text and "审核人：" in text and "日期：" in text
    assert "平湖街道总工会·2026年夏送清凉" in text  # the page footer names the unit
    assert "龙岗区总工会" not in text.replace("深圳市龙岗区总工会", "")


def test_ledger_xlsx_lists_sections_and_total_row(client, login, tree, create_program, create_event,
                                                  create_participant, create_check_in):
    import io

    from openpyxl import load_workbook

    program = _program(tree, create_program, create_event, create_participant, create_check_in)
    login(tree["district_viewer"])
    wb = load_workbook(io.BytesIO(client.get(f"/programs/{program.id}/ledger.xlsx").data), read_only=True)
    rows = [r for r in wb["活动场次"].iter_rows(min_row=2, values_only=True) if r and r[0] is not None]
    by_title = {r[2]: r for r in rows}
    assert by_title["下周的慰问"][6:8] == ("计划中", None)  # no 人次 for an event not held
    assert by_title["台风停办的一场"][6] == "已取消"
    assert by_title["平湖环卫工人慰问"][7:] == (2, None, 2, "慰问金 1.25 万元；清凉礼包 300 份", 2, 0, 0)
    assert by_title["白坭坑社区送清凉"][7] == 13 and by_title["白坭坑社区送清凉"][11:] == (1, 12, 0)  # 人次 parts
    assert not any(by_title["下周的慰问"][11:])  # its early headcount (40) is not counted


def test_appendix_adds_each_held_events_brief_when_asked(client, login, tree, create_program, create_event,
                                                         create_participant, create_check_in):
    from tests.reports.conftest import pdf_pages

    program = _program(tree, create_program, create_event, create_participant, create_check_in)
    login(tree["district_viewer"])
    plain = pdf_pages(client.get(f"/programs/{program.id}/ledger.pdf").data)
    pages = pdf_pages(client.get(f"/programs/{program.id}/ledger.pdf?appendix=1").data)
    assert not any("活动简报" in p for p in plain)
    briefs = ["".join(p.split()) for p in pages[len(plain):]]
    assert len(briefs) >= 3 and all(b.startswith("活动简报") for b in briefs[:3])
    # In the ledger's order, held events only: no brief for the planned or cancelled ones.
    assert [next(t for t in ("平湖环卫工人慰问", "白坭坑社区送清凉", "坂田快递站点慰问") if t in b)
            for b in briefs[:3]] == ["平湖环卫工人慰问", "白坭坑社区送清凉", "坂田快递站点慰问"]
    assert not any("下周的慰问" in b or "台风停办的一场" in b for b in briefs)
