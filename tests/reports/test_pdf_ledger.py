"""Program ledgers (台账) and the year overview: targets against actual, events, scope by street."""
from __future__ import annotations

from datetime import timedelta

from eventsvc.events.operations import cancel_event, set_quantities
from eventsvc.extensions import db
from eventsvc.programs.models import ATTENDANCES, CUSTOM, PARTICIPANTS, SESSIONS
from eventsvc.programs.operations import TargetSpec
from eventsvc.reports.fonts import pdf_font
from eventsvc.reports.pdf_ledger import bar_chart
from eventsvc.reports.queries import ledger_data
from eventsvc.reports.records import OrgBar
from tests.reports.conftest import pdf_text


def _summer_program(tree, create_program, create_event, create_participant, create_check_in):  # type: ignore[no-untyped-def]
    program = create_program(org=tree["root"], name="夏送清凉", plan_item="12", targets=[
        TargetSpec(SESSIONS, 10), TargetSpec(ATTENDANCES, 100), TargetSpec(PARTICIPANTS, 50),
        TargetSpec(CUSTOM, 1000, label="清凉礼包", unit="份"),
        TargetSpec(SESSIONS, 4, organization=tree["a"]), TargetSpec(SESSIONS, 4, organization=tree["b"]),
    ])
    a1 = create_event(program, tree["a"], title="平湖环卫工人慰问")
    a2 = create_event(program, tree["a_child"], title="白坭坑社区送清凉")
    b1 = create_event(program, tree["b"], title="坂田快递站点慰问")
    gone = create_event(program, tree["b"], title="台风停办的一场")
    create_event(program, tree["a"], title="下周的活动", starts_in=timedelta(days=7))
    create_event(program, tree["a"], title="还没发布的草稿", publish=False)
    set_quantities(a1, [("清凉礼包", "份", 300)], by=None)
    set_quantities(b1, [("清凉礼包", "份", 200)], by=None)
    cancel_event(gone, by=None, reason="台风红色预警")
    db.session.commit()
    person = create_participant("王五")
    for event in (a1, a2, b1):
        create_check_in(event, person)
    create_check_in(a1)
    return program


def test_ledger_pdf_shows_targets_events_and_cancelled(client, login, tree, create_program, create_event,
                                                       create_participant, create_check_in):
    program = _summer_program(tree, create_program, create_event, create_participant, create_check_in)
    login(tree["district_viewer"])
    resp = client.get(f"/programs/{program.id}/ledger.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = pdf_text(resp.data)
    for expected in ("夏送清凉", "工作台账", "目标完成情况",
                     "实际完成：3场，4人次（扫码签到4+现场填报0+线上0），2人（实名签到），清凉礼包500",
                     "10场3场30.0%7场", "100人次4人次4.0%96人次", "1,000份500份50.0%500份",
                     "各单位完成率（场次）", "平湖环卫工人慰问", "白坭坑社区送清凉", "坂田快递站点慰问", "下周的活动",
                     "已取消的活动", "台风停办的一场", "台风红色预警", "另有1场活动尚未发布"):
        assert expected in text, expected
    assert "还没发布的草稿" not in text


def test_street_ledger_counts_only_its_subtree(client, login, tree, create_program, create_event,
                                               create_participant, create_check_in):
    program = _summer_program(tree, create_program, create_event, create_participant, create_check_in)
    data = ledger_data(program, tree["org_a"])
    assert (data.achieved.sessions, data.achieved.attendances) == (2, 3)
    assert [t.scope for t in data.targets] == [tree["a"].label]
    assert (data.targets[0].goal, data.targets[0].done) == (4, 2)
    assert {e.title for e in data.events} == {"平湖环卫工人慰问", "白坭坑社区送清凉"}
    assert [e.title for e in data.planned] == ["下周的活动"]

    login(tree["org_a"])
    text = pdf_text(client.get(f"/programs/{program.id}/ledger.pdf").data)
    assert "平湖环卫工人慰问" in text
    assert "坂田快递站点慰问" not in text and "台风停办的一场" not in text


def test_bar_chart_is_vector_and_labels_orgs(app):
    drawing = bar_chart([OrgBar("平湖街道", 50.0), OrgBar("坂田街道", 125.0)], pdf_font().name, percent=True)
    assert drawing.width > 0 and drawing.height > 0
    from reportlab.graphics import renderPDF

    text = pdf_text(renderPDF.drawToString(drawing))
    assert "平湖街道" in text and "125.0%" in text  # percents to one decimal everywhere (issue 10 §2)


def test_year_overview_lists_every_program(client, login, tree, create_program, create_event, create_participant,
                                           create_check_in):
    _summer_program(tree, create_program, create_event, create_participant, create_check_in)
    create_program(org=tree["root"], name="劳模工匠宣讲", plan_item="3")
    create_program(org=tree["root"], name="去年的项目", year=2025)
    login(tree["admin"])
    resp = client.get("/reports/year/2026.pdf")
    assert resp.status_code == 200
    text = pdf_text(resp.data)
    assert "2026年度工作项目进度一览" in text
    assert "劳模工匠宣讲" in text and "夏送清凉" in text and "去年的项目" not in text
    assert text.index("劳模工匠宣讲") < text.index("夏送清凉")  # plan item 3 before 12
    assert "项目2个，已开展3场、4人次" in text


def test_year_overview_of_a_street_counts_its_subtree(client, login, tree, create_program, create_event,
                                                      create_participant, create_check_in):
    _summer_program(tree, create_program, create_event, create_participant, create_check_in)
    login(tree["org_b"])
    text = pdf_text(client.get("/reports/year/2026.pdf").data)
    assert "统计范围：坂田街道总工会" in text
    assert "已开展1场、1人次" in text
