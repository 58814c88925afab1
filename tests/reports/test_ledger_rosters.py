"""Roster corrections (issue 11): 日期 line, 已取消 / 草稿 mark on every page, dates off the event's day."""
from __future__ import annotations

from datetime import timedelta

from eventsvc.core.timeutil import fmt_local, utcnow
from eventsvc.events.operations import cancel_event
from eventsvc.extensions import db
from eventsvc.reports.pdf_roster import build_roster_pdf
from eventsvc.reports.queries import event_header, roster_rows
from tests.reports.conftest import pdf_pages, pdf_text


def test_cancelled_roster_is_marked_on_every_page_with_date_line(client, login, tree, street_event):
    event = street_event(people=40, starts_in=timedelta(days=-3))  # 40 rows: two pages
    cancel_event(event, by=None, reason="暴雨")
    db.session.commit()
    login(tree["org_a"])
    pages = pdf_pages(client.get(f"/events/{event.id}/roster.pdf").data)
    assert len(pages) >= 2
    first = "".join(pages[0].split())
    assert "签到表（已取消）" in first and "活动状态已取消" in first
    assert f"日期{fmt_local(event.starts_at, '%Y年%m月%d日')}" in first
    assert all("（已取消）" in "".join(p.split()) for p in pages[1:])  # the running head repeats the mark
    assert all("平湖街道总工会" in "".join(p.split()) for p in pages)  # footer: the organizer, not always the district
    # The check-ins happened today, three days after the event began: each time carries its date.
    assert first.count(fmt_local(utcnow(), "%m-%d")) >= 20


def test_draft_roster_is_marked_and_same_day_times_have_no_date(app, tree, create_event, create_check_in):
    event = create_event(None, tree["a"], title="未发布的讲座", publish=False)
    create_check_in(event)
    text = pdf_text(build_roster_pdf(event_header(event), roster_rows(event.id)))
    assert "签到表（草稿）" in text
    held = create_event(None, tree["a"], title="当天的讲座", starts_in=timedelta(minutes=-5))
    create_check_in(held)
    text = pdf_text(build_roster_pdf(event_header(held), roster_rows(held.id)))
    assert "（已取消）" not in text and "（草稿）" not in text and "活动状态已发布" in text
    stamp = fmt_local(utcnow(), "%H:%M")
    if fmt_local(held.starts_at, "%Y%m%d") == fmt_local(utcnow(), "%Y%m%d"):  # not across midnight
        assert text.count(f"{fmt_local(utcnow(), '%m-%d')}{stamp}") <= 1  # the footer's print time only
