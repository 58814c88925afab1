"""Evidence per event through the pages: uploads judged by content, photos cleaned, files served by scope."""
from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import pytest
from PIL import ExifTags, Image
from sqlalchemy import select

from eventsvc.audit.models import AuditEntry
from eventsvc.core.storage import LocalStorage
from eventsvc.events.evidence_models import EventAttachment, EventSummary
from eventsvc.extensions import db

GPS = ExifTags.IFD.GPSInfo


def phone_jpeg(color: str = "red", taken: str = "2026:05:01 09:30:00") -> bytes:
    """A JPEG as a phone writes it: GPS position, capture time, camera make."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Huawei"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = taken
    exif.get_ifd(GPS).update({1: "N", 2: (22.0, 43.0, 12.5), 3: "E", 4: (114.0, 14.0, 48.0)})
    out = io.BytesIO()
    Image.new("RGB", (800, 600), color).save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def storage(app: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> LocalStorage:
    """Files of this test only, in its own folder (the app keeps one backend per process)."""
    backend = LocalStorage(tmp_path / "files")
    monkeypatch.setitem(app.extensions, "eventsvc.storage", backend)
    return backend


@pytest.fixture
def event(tree: dict[str, Any], create_program: Any, create_event: Any) -> Any:
    program = create_program(org=tree["root"], name="夏送清凉")
    return create_event(program, tree["a"], title="平湖街道夏送清凉慰问活动", venue_name="平湖暖蜂驿站")


def upload(client: Any, event_id: int, data: bytes, name: str, *, xhr: bool = True) -> Any:
    headers = {"Accept": "application/json", "X-Requested-With": "XMLHttpRequest"} if xhr else {}
    return client.post(f"/events/{event_id}/evidence", data={"files": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", headers=headers, follow_redirects=not xhr)


def attachments() -> list[EventAttachment]:
    return list(db.session.scalars(select(EventAttachment).order_by(EventAttachment.id)))


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_photo_upload_strips_location_keeps_time_and_shows_on_both_pages(
        client: Any, login: Any, tree: dict[str, Any], event: Any, storage: LocalStorage) -> None:
    source = phone_jpeg()
    assert b"Huawei" in source
    login(tree["org_a"])
    resp = upload(client, event.id, source, "IMG_20260501_093000.jpg")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json()["ok"] is True
    [item] = attachments()
    assert (item.kind, item.content_type, item.original_name) == ("photo", "image/jpeg", "IMG_20260501_093000.jpg")
    assert item.taken_at == datetime(2026, 5, 1, 1, 30) and item.uploaded_by_id == tree["org_a"].id
    assert "event.attach" in actions()

    served = client.get(f"/events/{event.id}/evidence/{item.id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(served.data)) as photo:
        assert not photo.getexif().get_ifd(GPS)
        assert photo.getexif().get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] == "2026:05:01 09:30:00"
    assert b"Huawei" not in served.data
    thumb = client.get(f"/events/{event.id}/evidence/{item.id}/thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(thumb.data)) as small:
        assert max(small.size) <= 320

    page = client.get(f"/events/{event.id}/evidence").get_data(as_text=True)
    assert f"/events/{event.id}/evidence/{item.id}/thumb" in page and "设为封面" in page
    assert "evidence.js" in page
    event_page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert f"/events/{event.id}/evidence/{item.id}/thumb" in event_page and "活动简报 PDF" in event_page


def test_renamed_executable_is_refused_with_a_chinese_message(
        client: Any, login: Any, tree: dict[str, Any], event: Any, storage: LocalStorage) -> None:
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 2000 + b"This program cannot be run in DOS mode."
    login(tree["org_a"])
    resp = upload(client, event.id, exe, "活动照片.jpg")
    assert resp.status_code == 400
    assert "不支持的文件类型" in resp.get_json()["error"]
    # The page without its script: the same message, next to the file's name.
    page = upload(client, event.id, exe, "活动方案.pdf", xhr=False).get_data(as_text=True)
    assert "“活动方案.pdf”未上传：不支持的文件类型" in page
    assert attachments() == [] and not (storage.root.exists() and any(storage.root.rglob("*.*")))


def test_heic_from_an_iphone_is_stored_as_jpeg(
        client: Any, login: Any, tree: dict[str, Any], event: Any, storage: LocalStorage) -> None:
    import pillow_heif

    exif = Image.Exif()
    exif.get_ifd(GPS).update({1: "N", 2: (22.0, 43.0, 12.5), 3: "E", 4: (114.0, 14.0, 48.0)})
    heif = pillow_heif.from_pillow(Image.new("RGB", (640, 480), "blue"))
    out = io.BytesIO()
    heif.save(out, quality=80, exif=exif.tobytes())
    login(tree["org_a"])
    assert upload(client, event.id, out.getvalue(), "IMG_0042.HEIC").status_code == 200
    [item] = attachments()
    assert (item.content_type, item.original_name, item.width, item.height) == ("image/jpeg", "IMG_0042.jpg", 640, 480)
    served = client.get(f"/events/{event.id}/evidence/{item.id}")
    with Image.open(io.BytesIO(served.data)) as photo:
        assert photo.format == "JPEG" and not photo.getexif().get_ifd(GPS)


def test_files_are_served_only_within_scope(
        client: Any, login: Any, tree: dict[str, Any], event: Any, storage: LocalStorage) -> None:
    login(tree["org_a"])
    upload(client, event.id, phone_jpeg(), "a.jpg")
    [item] = attachments()
    urls = [f"/events/{event.id}/evidence/{item.id}", f"/events/{event.id}/evidence/{item.id}/thumb",
            f"/events/{event.id}/evidence", f"/events/{event.id}/brief.pdf"]
    login(tree["org_b"])  # another street: the event and its files look missing
    assert [client.get(url).status_code for url in urls] == [404] * 4
    assert upload(client, event.id, phone_jpeg(), "b.jpg").status_code == 404
    assert client.post(f"/events/{event.id}/evidence/{item.id}/delete").status_code == 404
    client.post("/logout")
    assert client.get(urls[0]).status_code in (302, 401)  # no public URL
    login(tree["district_viewer"])  # reads everything, changes nothing
    assert [client.get(url).status_code for url in urls] == [200] * 4
    assert upload(client, event.id, phone_jpeg(), "c.jpg").status_code == 403
    login(tree["checker_a"])
    assert client.get(urls[0]).status_code == 200
    assert client.post(f"/events/{event.id}/evidence/{item.id}/cover").status_code == 403
    # An attachment id under another event's URL is not found either.
    assert client.get(f"/events/{event.id + 999}/evidence/{item.id}").status_code == 404
    assert len(attachments()) == 1


def test_cover_caption_and_delete_are_audited(
        client: Any, login: Any, tree: dict[str, Any], event: Any, storage: LocalStorage) -> None:
    login(tree["org_a"])
    upload(client, event.id, phone_jpeg("red"), "1.jpg")
    upload(client, event.id, phone_jpeg("green"), "2.jpg")
    first, second = attachments()
    for item in (first, second):
        assert client.post(f"/events/{event.id}/evidence/{item.id}/cover").status_code == 302
    db.session.expire_all()
    assert [a.is_cover for a in attachments()] == [False, True]
    client.post(f"/events/{event.id}/evidence/{second.id}/caption", data={"caption": "  向环卫工人发放清凉礼包 "})
    db.session.expire_all()
    assert attachments()[1].caption == "向环卫工人发放清凉礼包"
    too_long = client.post(f"/events/{event.id}/evidence/{second.id}/caption", data={"caption": "长" * 101},
                           follow_redirects=True)
    assert "说明最多 100 个字" in too_long.get_data(as_text=True)

    confirm = client.get(f"/events/{event.id}/evidence/{second.id}/delete").get_data(as_text=True)
    assert "确认删除" in confirm and "本场活动将没有封面照片" in confirm
    keys = [second.storage_key, second.thumb_key or ""]
    assert all(storage.exists(k) for k in keys)
    assert client.post(f"/events/{event.id}/evidence/{second.id}/delete").status_code == 302
    db.session.expire_all()
    assert [a.id for a in attachments()] == [first.id]
    assert not any(storage.exists(k) for k in keys)
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action.in_(
        ("event.cover", "event.caption", "event.detach"))).order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["event.cover", "event.cover", "event.caption", "event.detach"]
    assert all(e.actor_id == tree["org_a"].id and e.object_id == event.id for e in entries)
    assert "2.jpg" in entries[-1].summary and "封面" in entries[-1].summary


def test_documents_over_the_form_limit_upload_and_oversize_ones_get_a_clear_message(
        app: Any, client: Any, login: Any, tree: dict[str, Any], event: Any, storage: LocalStorage) -> None:
    assert app.config["MAX_CONTENT_LENGTH"] < 9 * 1024 * 1024
    pdf = b"%PDF-1.4\n" + b"0" * (9 * 1024 * 1024) + b"\n%%EOF\n"
    login(tree["org_a"])
    resp = upload(client, event.id, pdf, "活动方案.pdf")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    [item] = attachments()
    assert item.kind == "document" and item.size == len(pdf)
    served = client.get(f"/events/{event.id}/evidence/{item.id}")
    assert served.status_code == 200 and "attachment" in served.headers["Content-Disposition"]
    assert len(served.data) == len(pdf)
    app.config["UPLOAD_MAX_DOCUMENT_BYTES"] = 1024 * 1024
    resp = upload(client, event.id, b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024), "总结.pdf")
    assert resp.status_code == 400 and "文件太大：每个文件最大 1 MB" in resp.get_json()["error"]


def test_summary_form_saves_text_and_reported_figures(
        client: Any, login: Any, tree: dict[str, Any], event: Any) -> None:
    login(tree["org_a"])
    form = client.get(f"/events/{event.id}/summary").get_data(as_text=True)
    assert "现场人数（填报）" in form and "quantities-0-label" in form
    resp = client.post(f"/events/{event.id}/summary", data={
        "text": "本次活动向环卫工人发放清凉礼包。\n现场气氛热烈。", "onsite_count": "120", "onsite_note": "现场清点",
        "online_count": "", "quantities-0-label": "清凉礼包", "quantities-0-unit": "份", "quantities-0-value": "300",
        "quantities-1-label": "慰问金", "quantities-1-unit": "万元", "quantities-1-value": "3.2",
    })
    assert resp.status_code == 302
    db.session.expire_all()
    summary = db.session.get(EventSummary, event.id)
    assert summary is not None and summary.text.startswith("本次活动")
    assert event.onsite_count == 120 and event.online_count is None
    assert {(q.label, q.unit, q.value) for q in event.quantities} == {("清凉礼包", "份", 300), ("慰问金", "万元", 3.2)}
    assert {"event.summary", "event.update", "event.quantities"} <= set(actions())
    page = client.get(f"/events/{event.id}/evidence").get_data(as_text=True)
    assert "现场气氛热烈" in page and "3.2 万元" in page
    bad = client.post(f"/events/{event.id}/summary", data={"text": "x", "onsite_count": "-5"})
    assert bad.status_code == 200 and "人数不能为负数" in bad.get_data(as_text=True)
