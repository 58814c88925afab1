"""End to end in headless Chromium: a worker's phone scans a station's poster QR, registers a visit once,
the station page's count rises; the same phone scanning again the same day is told "今天已登记"."""
from __future__ import annotations

import io

import pypdfium2
import zxingcpp

from eventsvc.stations.operations import create_station
from tests.e2e.conftest import LAPTOP, PHONE


def _today_count(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.locator("#today-count").inner_text().strip())


def test_phone_scans_station_qr_registers_once_and_count_rises(db, tree, live_server, browser, artifacts_dir):  # type: ignore[no-untyped-def]
    station = create_station(tree["a"], by=None, name="平湖暖蜂驿站", kind="暖蜂驿站",
                             services="饮用水\n手机充电\n微波炉", opening_hours="每天 8:00—20:00")
    db.session.commit()

    laptop = browser.new_context(**LAPTOP)
    staff = laptop.new_page()
    staff.goto(f"{live_server}/login")
    staff.fill("input[name=username]", "org_a")
    staff.fill("input[name=password]", "correct-horse-26")
    staff.click("button:has-text('登录')")
    staff.wait_for_url(f"{live_server}/")
    staff.goto(f"{live_server}/stations/{station.id}")
    assert _today_count(staff) == 0

    # The A5 poster, downloaded as staff would, and its QR decoded like a phone camera would.
    poster = staff.request.get(f"{live_server}/stations/{station.id}/poster.pdf?size=a5")
    assert poster.ok
    image = pypdfium2.PdfDocument(io.BytesIO(poster.body()))[0].render(scale=3).to_pil()
    codes = zxingcpp.read_barcodes(image)
    assert codes, "no QR found on the poster"
    url = codes[0].text
    assert url.startswith(live_server) and f"/s/{station.code}" in url

    phone = browser.new_context(**PHONE).new_page()
    phone.goto(url)
    assert "平湖暖蜂驿站" in phone.content()
    phone.fill("input[name=name]", "王小明")
    phone.fill("input[name=phone]", "13800138000")
    phone.check("input[name=group][value=外卖员]")
    phone.check("input[name=services][value=饮用水]")
    phone.check("input[name=consent]")
    phone.screenshot(path=str(artifacts_dir / "e2e-station-01-form.png"), full_page=True)
    phone.click("button:has-text('登记到访')")
    phone.wait_for_url(f"**/s/{station.code}/done")
    assert "登记成功" in phone.content()
    phone.screenshot(path=str(artifacts_dir / "e2e-station-02-done.png"), full_page=True)

    staff.reload()
    assert _today_count(staff) == 1
    assert "王小明" in staff.locator("#today-visits").inner_text()

    # The same phone scans again later that day: told it is already registered, nothing counted twice.
    phone.goto(url)
    assert "今天已登记" in phone.content()
    phone.screenshot(path=str(artifacts_dir / "e2e-station-03-again.png"), full_page=True)
    staff.reload()
    assert _today_count(staff) == 1
