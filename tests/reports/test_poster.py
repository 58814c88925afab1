"""The QR poster: its printed code opens the event's public check-in page."""
from __future__ import annotations

from urllib.parse import urlsplit

import pypdfium2
import zxingcpp

from tests.reports.conftest import pdf_text


def _decode_first_page(data: bytes) -> list[str]:
    pdf = pypdfium2.PdfDocument(data)
    try:
        image = pdf[0].render(scale=2).to_pil()
    finally:
        pdf.close()
    return [r.text for r in zxingcpp.read_barcodes(image)]


def test_poster_qr_opens_the_events_check_in_page(app, client, login, tree, street_event):
    app.config["PUBLIC_BASE_URL"] = "https://hd.example.cn"
    event = street_event(people=0, venue_name="平湖街道暖蜂驿站")
    login(tree["checker_a"])
    resp = client.get(f"/events/{event.id}/poster.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"

    (url,) = _decode_first_page(resp.data)
    assert url == f"https://hd.example.cn/c/{event.code}"
    text = pdf_text(resp.data)
    for expected in ("平湖暖蜂驿站集中服务日", "平湖街道暖蜂驿站", "平湖街道总工会", "微信或手机相机扫码签到", url):
        assert expected in text, expected

    client.post("/logout")  # a worker's phone is not logged in
    page = client.get(urlsplit(url).path)
    assert page.status_code == 200
    assert "平湖暖蜂驿站集中服务日" in page.get_data(as_text=True)


def test_poster_escapes_markup_in_the_title(client, login, tree, street_event):
    event = street_event(people=0, title="<b>技能&竞赛</b>")
    login(tree["org_a"])
    assert "<b>技能&竞赛</b>" in pdf_text(client.get(f"/events/{event.id}/poster.pdf").data)
