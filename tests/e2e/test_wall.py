"""The venue wall in Chromium: fits 1366×768, 1920×1080 and 1024×768 without scrolling, shows masked names
only, picks up a new check-in, and says so when the network drops and when it is back."""
from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from eventsvc.checkin.models import MANUAL
from eventsvc.checkin.operations import check_in
from eventsvc.extensions import db
from tests.factories import TEST_PASSWORD

SIZES = [(1366, 768), (1920, 1080), (1024, 768)]


@pytest.fixture
def wall_event(app, tree, create_event, create_participant, create_check_in):  # type: ignore[no-untyped-def]
    app.config["WALL_POLL_SECONDS"] = 1
    event = create_event(org=tree["a"], title="新就业形态劳动者服务月·平湖暖蜂驿站专场", expected_attendance=120)
    create_check_in(event, create_participant(name="王小明", phone="13800001001"))
    create_check_in(event, create_participant(name="李四", phone="13800001002"))
    walk_in = create_participant(name="欧阳娜娜", phone="13800001003")
    check_in(event, walk_in, by=tree["checker_a"], method=MANUAL, enforce_window=False)
    db.session.commit()
    return event


def _login(page, live_server: str, user) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")


def _fits(page) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return page.evaluate("""() => {
        const h = window.innerHeight, w = window.innerWidth, doc = document.documentElement;
        const inside = sel => { const r = document.querySelector(sel).getBoundingClientRect();
                                return r.top >= 0 && r.left >= 0 && r.bottom <= h && r.right <= w && r.height > 0; };
        return {scroll: doc.scrollHeight - h, hscroll: doc.scrollWidth - w,
                parts: ['.wall-head h1', '#qr-box svg', '#big-count', '.wall-mix', '#wall-recent li', '#big-updated']
                       .map(s => [s, inside(s)]),
                qr: document.querySelector('#qr-box svg').getBoundingClientRect().width,
                count: parseFloat(getComputedStyle(document.querySelector('.big-count')).fontSize)};
    }""")


def test_wall_fits_three_screens_without_scrolling(live_server, browser, tree, wall_event, artifacts_dir):
    page = browser.new_page(locale="zh-CN")
    _login(page, live_server, tree["checker_a"])
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server}/events/{wall_event.id}/screen")  # the old big-screen address redirects here
        page.wait_for_selector("#wall")
        page.screenshot(path=str(artifacts_dir / f"wall-{width}x{height}.png"))
        fit = _fits(page)
        assert fit["scroll"] <= 0 and fit["hscroll"] <= 0, (width, height, fit)
        assert all(ok for _, ok in fit["parts"]), (width, height, fit)  # type: ignore[union-attr]
        assert fit["qr"] >= 0.5 * height, fit  # the QR takes over half the height: scannable from a few metres
        assert fit["count"] >= 0.09 * width or fit["count"] >= 0.16 * height, fit
        shot = Image.open(io.BytesIO(page.locator("#qr-box").screenshot()))
        assert [r.text for r in zxingcpp.read_barcodes(shot)] == [f"{live_server}/c/{wall_event.code}"]


def test_wall_shows_masked_names_updates_and_survives_a_network_drop(live_server, browser, tree, wall_event,
                                                                     create_participant, artifacts_dir):
    page = browser.new_page(locale="zh-CN", viewport={"width": 1366, "height": 768})
    _login(page, live_server, tree["checker_a"])
    page.goto(f"{live_server}/events/{wall_event.id}/wall")
    recent = page.text_content("#wall-recent") or ""
    assert "王*明" in recent and "李*" in recent and "欧**娜" in recent
    body = page.text_content("body") or ""
    for secret in ("王小明", "李四", "欧阳娜娜", "13800001"):
        assert secret not in body and secret not in page.content()
    assert page.text_content("#big-count") == "3" and page.text_content("#mix-manual") == "1"

    page.route("**/api/events/*/wall", lambda route: route.abort())
    page.wait_for_selector("#wall-stale", state="visible", timeout=10_000)
    assert page.text_content("#big-count") == "3"  # the last figures stay on screen
    page.screenshot(path=str(artifacts_dir / "wall-offline.png"))
    before = page.text_content("#big-updated")

    check_in(wall_event, create_participant(name="赵六", phone="13800001004"), by=None, method="self",
             enforce_window=False)
    db.session.commit()
    page.unroute("**/api/events/*/wall")
    page.wait_for_function("() => document.getElementById('big-count').textContent === '4'", timeout=20_000)
    page.wait_for_selector("#wall-stale", state="hidden")
    assert page.locator("#wall-recent li").first.text_content().startswith("赵*")  # type: ignore[union-attr]
    assert page.locator("#wall-recent li.new").count() == 1
    assert page.text_content("#mix-scan") == "3" and page.text_content("#big-updated") != before
    assert "赵六" not in page.content()
    page.screenshot(path=str(artifacts_dir / "wall-updated.png"))
