"""Scanner end to end: a worker registers, Chromium's fake camera shows the e-ticket, staff scan it.

The fake camera plays a y4m file written here from the ticket's QR PNG with Pillow alone
(4:2:0 planes: the QR in the Y plane on a white 640x480 frame, neutral chroma).
"""
from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from eventsvc.checkin.models import CheckIn, Registration
from eventsvc.checkin.operations import register
from eventsvc.extensions import db
from tests.e2e.conftest import PHONE

W, H = 640, 480


def write_y4m(png: bytes, path: Path, frames: int = 10) -> Path:
    """Write a y4m video whose every frame shows the QR image centred on white."""
    qr = Image.open(io.BytesIO(png)).convert("L")
    side = min(440, qr.width)
    qr = qr.resize((side, side), Image.NEAREST)
    frame = Image.new("L", (W, H), 255)
    frame.paste(qr, ((W - side) // 2, (H - side) // 2))
    y = frame.tobytes()
    chroma = bytes([128]) * ((W // 2) * (H // 2))
    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{W} H{H} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n" + y + chroma + chroma)
    return path


def camera_args(y4m: Path) -> list[str]:
    return ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={y4m}"]


def count_check_ins(event_id: int) -> int:
    db.session.remove()  # read what the live server committed
    return db.session.scalar(select(func.count(CheckIn.id)).where(CheckIn.event_id == event_id)) or 0


def open_scanner(browser, base: str, event_id: int):  # type: ignore[no-untyped-def]
    """Log the checker in through the login form and land on the scanner."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{base}/login?next=/events/{event_id}/scanner")
    page.fill("input[name=username]", "checker_a")
    page.fill("input[name=password]", "correct-horse-26")
    page.click("button[type=submit]")
    page.wait_for_selector("#scanner[data-ready='1']")
    return context, page


def wait_text(page, selector: str, text: str, timeout: int = 20000) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        "([sel, text]) => { const el = document.querySelector(sel); return el && el.textContent.trim() === text; }",
        arg=[selector, text], timeout=timeout,
    )


@pytest.fixture
def event(create_event, create_program, tree):  # type: ignore[no-untyped-def]
    program = create_program(org=tree["a"])
    return create_event(program=program, org=tree["a"], starts_in=timedelta(minutes=30), registration_mode="on",
                        registration_capacity=100, title="坂田快递员安全培训")


def test_camera_scan_checks_in_then_says_already(live_server, launch_browser, event, artifacts_dir, tmp_path):
    # The worker registers on a phone and keeps the e-ticket.
    worker = launch_browser().new_context(**PHONE)
    page = worker.new_page()
    page.goto(f"{live_server}/c/{event.code}/register")
    page.fill("input[name=name]", "王快递")
    page.fill("input[name=phone]", "13812345678")
    page.fill("input[name=workplace]", "顺丰速运坂田网点")
    page.check("input[name=group][value='快递员']")
    page.check("input[name=consent]")
    page.click("button[type=submit]")
    page.wait_for_selector(".ticket-qr svg")
    page.screenshot(path=str(artifacts_dir / "scanner-e2e-ticket.png"), full_page=True)
    png = page.request.get(page.url + ".png")
    assert png.ok
    y4m = write_y4m(png.body(), tmp_path / "ticket.y4m")

    # Staff scan the ticket with the (fake) camera.
    staff = launch_browser(camera_args(y4m))
    context, scanner = open_scanner(staff, live_server, event.id)
    scanner.click("#start")
    wait_text(scanner, "#r-title", "签到成功")
    assert "王快递" in scanner.text_content("#r-name")
    assert scanner.text_content("#count-in").strip() == "1"
    scanner.screenshot(path=str(artifacts_dir / "scanner-e2e-success.png"), full_page=True)
    assert count_check_ins(event.id) == 1
    stored = db.session.scalar(select(CheckIn))
    assert stored.method == "staff" and stored.registration_id is not None
    context.close()

    # A second run of the same ticket: amber 已签到, nothing added.
    context, again = open_scanner(staff, live_server, event.id)
    again.click("#start")
    wait_text(again, "#r-title", "已签到")
    assert "已于" in again.text_content("#r-msg")
    again.screenshot(path=str(artifacts_dir / "scanner-e2e-already.png"), full_page=True)
    assert count_check_ins(event.id) == 1
    context.close()


def test_offline_scans_queue_and_sync_when_back_online(
    live_server, launch_browser, event, tree, artifacts_dir, tmp_path, app
):
    reg = register(event, {"name": "李外卖", "phone": "13987654321", "group": "外卖员"}, by=None)
    db.session.commit()
    from eventsvc.core.qr import qr_png

    y4m = write_y4m(qr_png(f"{live_server}/t/{reg.token}", box_size=12), tmp_path / "offline.y4m")
    staff = launch_browser(camera_args(y4m))
    context, page = open_scanner(staff, live_server, event.id)

    context.set_offline(True)
    wait_text(page, "#net", "离线")
    page.click("#start")
    wait_text(page, "#pending", "1")
    wait_text(page, "#r-title", "待确认")
    # A walk-in typed in while offline joins the queue too.
    page.click("#walkin-box summary")
    page.fill("#w-name", "现场职工")
    page.fill("#w-phone", "13700001234")
    page.click("#walkin-form button[type=submit]")
    wait_text(page, "#pending", "2")
    page.screenshot(path=str(artifacts_dir / "scanner-e2e-offline.png"), full_page=True)
    assert count_check_ins(event.id) == 0

    context.set_offline(False)
    wait_text(page, "#pending", "0")
    wait_text(page, "#count-in", "2")
    page.screenshot(path=str(artifacts_dir / "scanner-e2e-synced.png"), full_page=True)
    assert count_check_ins(event.id) == 2
    db.session.remove()
    assert db.session.scalar(select(Registration.status).where(Registration.id == reg.id)) == "registered"
    # Reloading the page after the sync sends nothing again.
    page.reload()
    page.wait_for_selector("#scanner[data-ready='1']")
    assert page.text_content("#pending").strip() == "0"
    assert count_check_ins(event.id) == 2

    # The venue's big screen shows the same count against the capacity.
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{live_server}/events/{event.id}/screen")
    wait_text(page, "#big-count", "2")
    assert page.text_content("#big-goal").strip() == "100"
    page.wait_for_function("document.getElementById('big-updated').textContent !== '—'")
    page.screenshot(path=str(artifacts_dir / "scanner-e2e-bigscreen.png"))
    context.close()
