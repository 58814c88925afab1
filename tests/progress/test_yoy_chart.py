"""The dashboard's year-on-year chart: cumulative 场次 / 人次 by month, this year against last, drawn as SVG."""
from __future__ import annotations

import re
from datetime import datetime

from eventsvc.core.timeutil import from_local, to_local, utcnow
from eventsvc.events.operations import cancel_event, update_event
from eventsvc.extensions import db
from eventsvc.progress.periods import cumulative_by_month


def _event(create_event, program, org, when: datetime, title: str = ""):  # type: ignore[no-untyped-def]
    return create_event(program, org, title=title or f"活动{when:%m%d}", starts_in=from_local(when) - utcnow())


def _data(tree, create_program, create_event, create_check_in):  # type: ignore[no-untyped-def]
    now_p = create_program(org=tree["root"], year=2026)
    old_p = create_program(org=tree["root"], year=2025)
    march = _event(create_event, now_p, tree["a"], datetime(2026, 3, 31, 23, 0))  # last hour of March, China time
    for _ in range(2):
        create_check_in(march)
    may = _event(create_event, now_p, tree["b"], datetime(2026, 5, 1, 0, 30))
    update_event(may, by=None, onsite_count=10)
    cancel_event(_event(create_event, now_p, tree["a"], datetime(2026, 4, 2, 9)), by=None, reason="雨")
    create_check_in(_event(create_event, old_p, tree["a"], datetime(2025, 2, 3, 9)))
    db.session.commit()


def test_cumulative_by_month_counts_china_months_once_each(app, tree, create_program, create_event, create_check_in):
    _data(tree, create_program, create_event, create_check_in)
    june = from_local(datetime(2026, 6, 15))
    series = cumulative_by_month(2026, now=june)
    assert series.sessions == [0, 0, 1, 1, 2, 2] + [None] * 6  # the cancelled April event never counts
    assert series.attendances == [0, 0, 2, 2, 12, 12] + [None] * 6
    assert cumulative_by_month(2025, now=june).sessions == [0] + [1] * 11
    street_b = cumulative_by_month(2026, scope_path=tree["b"].path, now=june)
    assert street_b.sessions[:6] == [0, 0, 0, 0, 1, 1]


def test_dashboard_draws_the_chart_without_inline_style(client, login, tree, create_program, create_event,
                                                        create_check_in):
    _data(tree, create_program, create_event, create_check_in)
    login(tree["district_viewer"])
    html = client.get("/?year=2026").get_data(as_text=True)
    assert "同比：2026 年与 2025 年累计对比" in html
    chart = html[html.index('class="card yoy"'):]
    assert chart.count("<svg") == 2 and chart.count("<polyline") == 4
    assert "累计场次" in chart and "累计人次" in chart and "12月" in chart
    assert 'class="yoy-key yoy-now">2026 年 2<' in chart  # 场次 so far this year
    assert "style=" not in chart and "<script" not in chart.split("</section>")[0]
    points = re.findall(r'class="yoy-line yoy-now" fill="none" points="([^"]+)"', chart)
    today = to_local(utcnow())
    months_begun = today.month if today.year == 2026 else 12  # the line stops at the current month
    assert len(points) == 2 and len(points[0].split()) == months_begun
    assert client.get("/?year=2026&partial=1").get_data(as_text=True).count("<svg") == 0
