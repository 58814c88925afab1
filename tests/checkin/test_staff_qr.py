"""The check-in QR screen: the code carries the public /c/<code> URL (never an id); dynamic codes rotate."""
from __future__ import annotations

import io
import re
import time

import pytest
import zxingcpp
from itsdangerous import TimestampSigner
from PIL import Image, ImageDraw

from eventsvc.checkin.tokens import DynamicCodeRefused, verify_dynamic_code
from eventsvc.events.models import QR_DYNAMIC


def _decode(image: Image.Image) -> str:
    results = zxingcpp.read_barcodes(image)
    assert len(results) == 1
    return results[0].text


def _svg_to_image(svg: str) -> Image.Image:
    """Draw the squares of qrcode's SvgPathImage ("M4,4H5V5H4z…") so zxing can read the page's SVG."""
    side = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))  # type: ignore[union-attr]
    scale = 8
    image = Image.new("L", (side * scale, side * scale), 255)
    draw = ImageDraw.Draw(image)
    for x1, y1, x2, y2 in re.findall(r"M(\d+),(\d+)H(\d+)V(\d+)H\d+z", svg):
        draw.rectangle([int(x1) * scale, int(y1) * scale, int(x2) * scale - 1, int(y2) * scale - 1], fill=0)
    return image


def test_qr_page_shows_a_full_screen_svg_of_the_public_url(client, login, tree, create_event):
    event = create_event(org=tree["a"], title="劳模工匠宣讲进园区", venue_name="坂雪岗科技城")
    login(tree["checker_a"])
    html = client.get(f"/events/{event.id}/qr", follow_redirects=True).get_data(as_text=True)
    assert 'class="wall"' in html and 'class="topbar"' not in html
    assert "劳模工匠宣讲进园区" in html and "坂雪岗科技城" in html and "微信或手机相机扫码签到" in html
    assert f"http://localhost/c/{event.code}" in html
    assert "<?xml" not in html
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)  # type: ignore[union-attr]
    assert _decode(_svg_to_image(svg)) == f"http://localhost/c/{event.code}"
    assert "活动尚未发布" not in html


def test_qr_png_decodes_to_the_public_url_not_an_id(client, login, tree, create_event):
    event = create_event(org=tree["a"])
    login(tree["org_a"])
    resp = client.get(f"/events/{event.id}/qr.png")
    assert resp.mimetype == "image/png" and "attachment" in resp.headers["Content-Disposition"]
    text = _decode(Image.open(io.BytesIO(resp.data)))
    assert text == f"http://localhost/c/{event.code}"
    assert f"/{event.id}" not in text.replace(event.code, "")


def test_public_base_url_setting_is_used(app, client, login, tree, create_event):
    app.config["PUBLIC_BASE_URL"] = "https://qd.lggh.example/"
    event = create_event(org=tree["a"])
    login(tree["org_a"])
    text = _decode(Image.open(io.BytesIO(client.get(f"/events/{event.id}/qr.png").data)))
    assert text == f"https://qd.lggh.example/c/{event.code}"


def test_draft_event_qr_warns_that_scans_will_fail(client, login, tree, create_event):
    event = create_event(org=tree["a"], publish=False)
    login(tree["org_a"])
    page = client.get(f"/events/{event.id}/qr", follow_redirects=True).get_data(as_text=True)
    assert "活动尚未发布，职工扫码将无法签到" in page


def test_static_qr_json_returns_the_fixed_url(client, login, tree, create_event):
    event = create_event(org=tree["a"])
    login(tree["org_a"])
    data = client.get(f"/api/events/{event.id}/qr").get_json()
    assert data["url"] == f"http://localhost/c/{event.code}" and data["svg"].startswith("<svg")


def test_dynamic_qr_rotates_signed_codes_the_check_in_accepts(app, client, login, tree, create_event, monkeypatch):
    event = create_event(org=tree["a"], qr_mode=QR_DYNAMIC)
    login(tree["org_a"])
    page = client.get(f"/events/{event.id}/qr", follow_redirects=True).get_data(as_text=True)
    assert f'data-url="/api/events/{event.id}/qr"' in page and "每 15 秒自动更新" in page

    now = int(time.time())  # the session cookie is signed by the same clock: stay within its lifetime
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: now)
    first = client.get(f"/api/events/{event.id}/qr").get_json()
    now += 20
    second = client.get(f"/api/events/{event.id}/qr").get_json()
    assert first["refresh_seconds"] == app.config["DYNAMIC_QR_REFRESH_SECONDS"]
    prefix = f"http://localhost/c/{event.code}?t="
    assert first["url"].startswith(prefix) and second["url"].startswith(prefix)
    token1, token2 = first["url"][len(prefix):], second["url"][len(prefix):]
    assert token1 != token2
    verify_dynamic_code(event.code, token2)  # accepted: genuine and fresh
    assert _decode(_svg_to_image(second["svg"])) == second["url"]
    now += app.config["DYNAMIC_QR_VALID_SECONDS"] + 30
    with pytest.raises(DynamicCodeRefused):
        verify_dynamic_code(event.code, token1)  # a forwarded photo of an old code stops working
