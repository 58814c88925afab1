"""End to end in headless Chromium: an organizer creates and publishes an event, opens its QR,
a worker's phone opens the decoded URL and checks in, and the dashboard counts one more 人次."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import zxingcpp
from PIL import Image
from sqlalchemy import select

from eventsvc.checkin.models import SELF_SCAN, CheckIn
from eventsvc.core.timeutil import to_local, utcnow
from eventsvc.events.models import PUBLISHED, Event
from eventsvc.programs.models import ATTENDANCES, SESSIONS
from eventsvc.programs.operations import TargetSpec
from tests.e2e.conftest import LAPTOP, PHONE


def _stat(page, stat_id: str) -> int:  # type: ignore[no-untyped-def]
    return int(page.locator(f"#{stat_id}").inner_text().strip().replace(",", ""))


def test_organizer_publishes_worker_checks_in_dashboard_counts(
    db, tree, create_program, create_event, create_check_in, live_server, browser, artifacts_dir
):  # type: ignore[no-untyped-def]
    program = create_program(org=tree["root"], name="新就业形态劳动者服务月",
                             targets=[TargetSpec(SESSIONS, 150), TargetSpec(ATTENDANCES, 20000)])
    create_check_in(create_event(program, tree["a"]))  # the dashboard already has 1 人次
    db.session.commit()

    laptop = browser.new_context(**LAPTOP)
    page = laptop.new_page()
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "org_a")
    page.fill("input[name=password]", "correct-horse-26")
    page.screenshot(path=str(artifacts_dir / "e2e-01-login.png"))
    page.click("button:has-text('登录')")
    page.wait_for_url(f"{live_server}/")
    before = _stat(page, "stat-attendances")
    assert before == 1
    page.screenshot(path=str(artifacts_dir / "e2e-02-dashboard-before.png"), full_page=True)

    # Create the event (China time in the form) and publish it.
    page.goto(f"{live_server}/programs/{program.id}/events/new")
    start = to_local(utcnow() - timedelta(minutes=10))
    page.fill("input[name=title]", "平湖街道外卖骑手安全技能培训")
    page.fill("input[name=starts_at]", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=ends_at]", (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=venue_name]", "平湖暖蜂驿站")
    page.screenshot(path=str(artifacts_dir / "e2e-03-event-form.png"), full_page=True)
    page.click("button:has-text('创建活动')")
    page.wait_for_url(re.compile(r".*/events/\d+$"))
    event_id = int(page.url.rsplit("/", 1)[1])
    page.click("button:has-text('发布')")
    page.wait_for_load_state()
    assert "已发布" in page.content()
    page.screenshot(path=str(artifacts_dir / "e2e-04-event-page.png"), full_page=True)
    db.session.expire_all()
    event = db.session.get(Event, event_id)
    assert event.status == PUBLISHED and event.organization_id == tree["a"].id

    # The full-screen QR page: decode what a phone camera would see.
    page.goto(f"{live_server}/events/{event_id}/qr")
    box = page.locator("#qr-box svg")
    box.wait_for()
    page.screenshot(path=str(artifacts_dir / "e2e-05-qr-screen.png"))
    png = box.screenshot()
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert results, "QR on the screen did not decode"
    url = results[0].text
    assert url == f"{live_server}/c/{event.code}"

    # A worker's phone opens it and checks in.
    phone = browser.new_context(**PHONE).new_page()
    phone.goto(url)
    assert "平湖街道外卖骑手安全技能培训" in phone.content()
    phone.fill("input[name=name]", "王小明")
    phone.fill("input[name=phone]", "138 0013 8000")
    phone.fill("input[name=workplace]", "美团配送平湖站")
    phone.click("label.group-option:has-text('外卖员')")
    phone.check("input[name=consent]")  # the privacy statement's required consent (issue 8 §8)
    phone.screenshot(path=str(artifacts_dir / "e2e-06-phone-form.png"), full_page=True)
    phone.click("button:has-text('签到')")
    phone.wait_for_url(re.compile(r".*/done\?n=1\.[0-9a-f]{16}$"))  # a new check-in's signed ordinal
    text = phone.locator("body").inner_text()
    assert "签到成功" in text and "您是本场第 1 位签到者" in text
    phone.screenshot(path=str(artifacts_dir / "e2e-07-phone-success.png"), full_page=True)

    stored = db.session.scalar(select(CheckIn).where(CheckIn.event_id == event_id))
    assert stored is not None and stored.method == SELF_SCAN and stored.participant.phone == "13800138000"

    # The phone remembers the worker: scanning again answers "already", not an error.
    phone.goto(url)
    again = phone.locator("body").inner_text()
    assert "您已于" in again and "签到" in again
    phone.screenshot(path=str(artifacts_dir / "e2e-08-phone-already.png"), full_page=True)

    page.goto(f"{live_server}/")
    assert _stat(page, "stat-attendances") == before + 1
    page.screenshot(path=str(artifacts_dir / "e2e-09-dashboard-after.png"), full_page=True)
    page.goto(f"{live_server}/events/{event_id}")
    assert "王小明" in page.content() and "138****8000" in page.content()
    assert "13800138000" not in page.content()
