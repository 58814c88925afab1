"""活动简报 PDF: its text (details, figures with composition, summary, captions) and its photos, counted."""
from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader

from eventsvc.checkin.models import MANUAL
from eventsvc.checkin.operations import check_in
from eventsvc.core.storage import LocalStorage
from eventsvc.extensions import db
from eventsvc.reports.pdf_brief import MAX_SUMMARY_CHARS, BriefPhoto, EventBrief, build_brief_pdf
from tests.reports.conftest import pdf_text


def _jpeg(color: str, size: tuple[int, int] = (1600, 1200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def _images(data: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(data)).pages)


def _pages(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


def _brief(photos: int, summary: str = "活动向环卫工人发放清凉礼包，宣传职工权益。") -> EventBrief:
    colors = ["red", "green", "blue", "orange", "purple", "gray", "black", "yellow"]
    return EventBrief(
        title="平湖街道夏送清凉慰问活动<b>", starts_at=datetime(2026, 7, 15, 1, 0),
        ends_at=datetime(2026, 7, 15, 3, 30),
        place="平湖暖蜂驿站（平湖街道守珍街 1 号）", organizer="平湖街道总工会", co_organizers="平湖街道城管办",
        program="夏送清凉", level="街道级", status_label="已发布",
        figures=[("参加人次", "128 人次：实名签到 100（扫码自助 80、人工补录 20）；现场填报 28"),
                 ("清凉礼包", "300 份")],
        summary=summary,
        photos=[BriefPhoto(_jpeg(colors[i]), f"照片说明{i + 1}") for i in range(photos)],
    )


def test_brief_prints_details_figures_summary_and_photos() -> None:
    pdf = build_brief_pdf(_brief(3))
    text = pdf_text(pdf)
    for expected in ("活动简报", "平湖街道夏送清凉慰问活动<b>", "2026-07-1509:00—11:30", "平湖暖蜂驿站",
                     "平湖街道总工会", "平湖街道城管办", "实名签到100（扫码自助80、人工补录20）", "现场填报28",
                     "清凉礼包300份",
                     "活动向环卫工人发放清凉礼包", "照片说明1", "照片说明3"):
        assert expected in text, expected
    assert _images(pdf) == 3
    assert _pages(pdf) <= 2


def test_brief_stops_at_six_photos_and_two_pages() -> None:
    pdf = build_brief_pdf(_brief(8, summary="内容" * 2000))
    assert _images(pdf) == 6
    assert _pages(pdf) <= 2
    text = pdf_text(pdf)
    assert "照片说明6" in text and "照片说明7" not in text
    assert text.count("内容") == MAX_SUMMARY_CHARS // 2  # a long summary is cut, pointing to the full text
    assert len(pdf) < 2 * 1024 * 1024  # photos are printed at print size, not as stored


def test_brief_without_photos_or_summary_is_one_page_and_says_so() -> None:
    pdf = build_brief_pdf(_brief(0, summary=""))
    assert _images(pdf) == 0 and _pages(pdf) == 1
    assert "尚未填写活动总结" in pdf_text(pdf)


def test_unreadable_photo_leaves_a_gap_not_an_error() -> None:
    brief = _brief(2)
    broken = EventBrief(**{**brief.__dict__, "photos": [*brief.photos, BriefPhoto(b"not a photo", "坏")]})
    assert _images(build_brief_pdf(broken)) == 2


@pytest.fixture
def storage(app: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> LocalStorage:
    backend = LocalStorage(tmp_path / "files")
    monkeypatch.setitem(app.extensions, "eventsvc.storage", backend)
    return backend


def test_brief_download_of_an_event(client: Any, login: Any, tree: dict[str, Any], street_event: Any,
                                    create_participant: Any, storage: LocalStorage) -> None:
    event = street_event(people=3)
    check_in(event, create_participant("补录职工", "13912340000"), by=tree["org_a"], method=MANUAL,
             enforce_window=False)
    db.session.commit()
    login(tree["org_a"])
    for color in ("red", "green"):
        resp = client.post(f"/events/{event.id}/evidence", data={"files": (io.BytesIO(_jpeg(color)), f"{color}.jpg")},
                           content_type="multipart/form-data", headers={"Accept": "application/json"})
        assert resp.status_code == 200
    client.post(f"/events/{event.id}/summary", data={"text": "驿站为外卖员提供饮水和充电服务。", "onsite_count": "6"})
    resp = client.get(f"/events/{event.id}/brief.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = pdf_text(resp.data)
    assert "平湖暖蜂驿站集中服务日" in text and "平湖街道总工会" in text
    assert "10人次" in text and "实名签到4（扫码自助3、人工补录1）" in text and "现场填报6" in text
    assert "4人（按手机号去重）" in text and "驿站为外卖员提供饮水和充电服务" in text
    assert _images(resp.data) == 2
    login(tree["org_b"])
    assert client.get(f"/events/{event.id}/brief.pdf").status_code == 404
