"""Dynamic-QR events made consistent: no printable plain link, cancelled answers first, no dead buttons."""
from __future__ import annotations

import io

import pypdf
import pypdfium2
import pytest
import zxingcpp
from PIL import Image

from eventsvc.checkin.links import checkin_url
from eventsvc.checkin.tokens import make_dynamic_code
from eventsvc.events.operations import cancel_event
from eventsvc.extensions import db


def poster_codes(pdf: bytes) -> list[str]:
    """Decode every QR printed on the poster's first page."""
    page = pypdfium2.PdfDocument(pdf)[0]
    image: Image.Image = page.render(scale=2).to_pil()
    return [r.text for r in zxingcpp.read_barcodes(image)]


@pytest.fixture
def dynamic(create_event, create_program, tree):  # type: ignore[no-untyped-def]
    program = create_program(org=tree["a"])
    return create_event(program=program, org=tree["a"], qr_mode="dynamic", title="动态码安全培训")


def test_dynamic_poster_has_no_scannable_plain_link_but_says_scan_the_screen(app, client, login, tree, dynamic):
    login(tree["org_a"])
    resp = client.get(f"/events/{dynamic.id}/poster.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert poster_codes(resp.data) == []
    text = pypdf.PdfReader(io.BytesIO(resp.data)).pages[0].extract_text()
    assert "请扫描活动现场大屏上的签到二维码" in text
    with app.test_request_context():
        assert checkin_url(dynamic) not in text
    # The plain QR image is not offered either: a clear message instead.
    png = client.get(f"/events/{dynamic.id}/qr.png", follow_redirects=True)
    assert "本场活动使用动态二维码" in png.get_data(as_text=True) and png.mimetype == "text/html"


def test_switched_to_static_the_poster_carries_the_plain_link(app, client, login, tree, dynamic):
    dynamic.qr_mode = "static"
    db.session.commit()
    login(tree["org_a"])
    codes = poster_codes(client.get(f"/events/{dynamic.id}/poster.pdf").data)
    with app.test_request_context():
        assert codes == [checkin_url(dynamic)]


@pytest.mark.parametrize("with_code", [False, True])
def test_cancelled_dynamic_event_answers_cancelled_first(app, client, tree, dynamic, with_code):
    cancel_event(dynamic, by=tree["org_a"], reason="暴雨")
    db.session.commit()
    query = f"?t={make_dynamic_code(dynamic.code)}" if with_code else ""
    html = client.get(f"/c/{dynamic.code}{query}").get_data(as_text=True)
    assert "活动已取消" in html
    assert "请扫描现场二维码" not in html and "二维码已过期" not in html


def test_cancelled_event_page_has_no_refresh_poster_or_screen_buttons(client, login, tree, dynamic):
    login(tree["org_a"])
    before = client.get(f"/events/{dynamic.id}").get_data(as_text=True)
    assert "自动刷新" in before and f"/events/{dynamic.id}/wall" in before and "poster.pdf" in before
    cancel_event(dynamic, by=tree["org_a"], reason="暴雨")
    db.session.commit()
    after = client.get(f"/events/{dynamic.id}").get_data(as_text=True)
    assert "已取消" in after
    for gone in ("自动刷新", f"/events/{dynamic.id}/wall", "poster.pdf", f"/events/{dynamic.id}/qr\"",
                 f"/events/{dynamic.id}/scanner"):
        assert gone not in after, gone
