"""月报 / 季报: a month's figures equal the grouped counts of that range; 同比 is the same months a year before."""
from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from eventsvc.core.timeutil import from_local, utcnow
from eventsvc.events.operations import update_event
from eventsvc.extensions import db
from eventsvc.progress.periods import Period
from eventsvc.progress.queries import totals_by_program
from eventsvc.reports.period_data import PeriodError, parse_period, period_report
from tests.reports.conftest import pdf_text


def _at(create_event, program, org, when: datetime, title: str):  # type: ignore[no-untyped-def]
    return create_event(program, org, title=title, starts_in=from_local(when) - utcnow())


@pytest.fixture
def two_years(tree, create_program, create_event, create_participant, create_check_in):  # type: ignore[no-untyped-def]
    """夏送清凉 in 2026 and 2025: events in March (the period), February and April (outside)."""
    now_p = create_program(org=tree["root"], name="夏送清凉", year=2026)
    old_p = create_program(org=tree["root"], name="夏送清凉", year=2025)
    plan = [  # (program, org, local start, title, check-ins)
        (now_p, tree["a"], datetime(2026, 3, 10, 9), "三月平湖慰问", 2),
        (now_p, tree["a_child"], datetime(2026, 3, 31, 23, 30), "三月底社区慰问", 1),
        (now_p, tree["b"], datetime(2026, 2, 20, 9), "二月坂田慰问", 1),
        (now_p, tree["a"], datetime(2026, 4, 1, 0, 30), "四月平湖慰问", 3),
        (old_p, tree["a"], datetime(2025, 3, 12, 9), "去年三月慰问", 4),
        (old_p, tree["a"], datetime(2025, 4, 2, 9), "去年四月慰问", 2),
    ]
    events = {}
    for program, org, when, title, people in plan:
        event = _at(create_event, program, org, when, title)
        for _ in range(people):
            create_check_in(event, create_participant())
        events[title] = event
    update_event(events["三月平湖慰问"], by=None, onsite_count=5)
    db.session.commit()
    return now_p


def test_month_figures_equal_grouped_counts_and_yoy_uses_last_year(app, tree, two_years):
    march = Period(date(2026, 3, 1), date(2026, 3, 1))
    report = period_report(tree["admin"], tree["root"], march)
    [line] = report.programs
    assert (line.period.sessions, line.period.attendances, line.period.participants) == (2, 8, 3)
    grouped = totals_by_program([two_years.id], since=march.since, now=march.counting_end())[two_years.id]
    assert (line.period.sessions, line.period.attendances) == (grouped.sessions, grouped.attendances)
    assert (line.cumulative.sessions, line.cumulative.attendances) == (3, 9)  # January to March
    assert line.last_year is not None and (line.last_year.sessions, line.last_year.attendances) == (1, 4)
    assert line.yoy_attendances == 100.0
    assert [(t.metric, t.goal, t.done, t.percent) for t in line.targets] == [("场次", 10, 3, 30.0),
                                                                            ("人次", 100, 9, 9.0)]
    assert line.time_percent == 24.7  # 90 of 365 days at 31 March
    kids = {c.name: c for c in report.children}
    assert (kids["平湖街道总工会"].period.attendances, kids["平湖街道总工会"].last_year.attendances) == (8, 4)
    assert kids["坂田街道总工会"].period.sessions == 0
    assert (report.total.sessions, report.total_last_year.sessions) == (2, 1)


def test_quarter_and_street_unit(app, tree, two_years):
    q1 = parse_period("2026-01", "2026-03")
    assert q1.label == "2026 年第 1 季度（1—3 月）"
    assert period_report(tree["admin"], tree["root"], q1).programs[0].period.sessions == 3
    street = period_report(tree["org_a"], tree["a"], parse_period("2026-03", "2026-03"))
    assert (street.total.sessions, street.total.attendances) == (2, 8)
    assert [c.name for c in street.children] == ["平湖街道白坭坑社区工联会"]
    assert street.compiler == "平湖街道总工会"


@pytest.mark.parametrize("raw_from, raw_to, message", [
    ("2026-13", None, "起始月份格式"), ("2026/03", None, "起始月份格式"), ("2026-03", "2026-02", "不能早于"),
    ("2020-01", "2026-03", "最长"),
])
def test_bad_periods_are_refused_in_chinese(raw_from, raw_to, message):
    with pytest.raises(PeriodError, match=message):
        parse_period(raw_from, raw_to)


def test_page_pdf_and_xlsx(client, login, tree, two_years):
    login(tree["district_viewer"])
    page = client.get("/reports/period?from=2026-03&to=2026-03")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "2026 年 3 月" in html and "夏送清凉" in html and "+100.0%" in html and "平湖街道总工会" in html

    pdf = client.get("/reports/period.pdf?from=2026-03&to=2026-03")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    from pypdf import PdfReader

    first = PdfReader(io.BytesIO(pdf.data)).pages[0]
    assert first.mediabox.width > first.mediabox.height  # A4 landscape
    text = pdf_text(pdf.data)
    assert "深圳市龙岗区总工会2026年3月工作情况报表" in text
    assert "同比期间：2025年3月" in text and "编制单位：深圳市龙岗区总工会" in text
    assert "1夏送清凉283" in text and "14+100.0%39" in text  # 本期 2场8人次3人; 去年 1场4人次; 累计 3场9人次
    assert "场次3/10场（30.0%）" in text and "24.7%" in text
    assert "平湖街道总工会2831" in text  # child: 2 场 8 人次 3 人, last year 1 场

    xlsx = client.get(f"/reports/period.xlsx?from=2026-03&to=2026-03&org={tree['a'].id}")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.data), read_only=True)
    [row] = list(book["各项目"].iter_rows(min_row=2, values_only=True))
    assert row[1:5] == ("夏送清凉", 2, 8, 3) and row[6:9] == (1, 4, "+100.0%") and row[9:11] == (2, 8)
    kids = list(book["下级单位"].iter_rows(min_row=2, values_only=True))
    assert kids[-1][:3] == ("平湖街道总工会（合计）", 2, 8)


def test_bad_parameters_and_scope(client, login, tree, two_years):
    login(tree["org_b"])
    bad = client.get("/reports/period.pdf?from=2026-3x")
    assert bad.status_code == 400 and "起始月份格式" in bad.get_data(as_text=True)
    assert client.get("/reports/period.xlsx?from=2026-03&org=abc").status_code == 400
    assert client.get(f"/reports/period?from=2026-03&org={tree['a'].id}").status_code == 404  # another street
    own = client.get("/reports/period?from=2026-03&to=2026-03")
    assert own.status_code == 200 and "坂田街道总工会 · 2026 年 3 月" in own.get_data(as_text=True)
