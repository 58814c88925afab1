"""Station photos: uploaded on the station page (the events' evidence checks), served by scope, printed in the
monthly station report of the month they were taken; an attachment belongs to an event or a station."""
from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from eventsvc.audit.models import AuditEntry
from eventsvc.core.storage import LocalStorage
from eventsvc.events.evidence_models import EventAttachment
from eventsvc.extensions import db
from tests.events.test_evidence import phone_jpeg


@pytest.fixture
def storage(app: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> LocalStorage:
    backend = LocalStorage(tmp_path / "files")
    monkeypatch.setitem(app.extensions, "eventsvc.storage", backend)
    return backend


def _upload(client: Any, station_id: int, data: bytes, name: str) -> Any:
    return client.post(f"/stations/{station_id}/evidence", data={"files": (io.BytesIO(data), name)},
                       content_type="multipart/form-data",
                       headers={"Accept": "application/json", "X-Requested-With": "XMLHttpRequest"})


def _images(pdf: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages)


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_station_photos_upload_show_serve_and_print_in_their_month(
        client: Any, login: Any, tree: dict[str, Any], make_station: Any, storage: LocalStorage) -> None:
    station = make_station(tree["a"])
    login(tree["org_a"])
    may = _upload(client, station.id, phone_jpeg("red", "2026:05:01 09:30:00"), "五月.jpg")
    assert may.status_code == 200 and may.get_json()["ok"] is True, may.get_data(as_text=True)
    april = _upload(client, station.id, phone_jpeg("blue", "2026:04:15 10:00:00"), "四月.jpg")
    assert april.status_code == 200
    refused = _upload(client, station.id, b"MZ\x90\x00 not a photo", "virus.jpg")
    assert refused.status_code == 400 and refused.get_json()["errors"]
    items = list(db.session.scalars(select(EventAttachment).order_by(EventAttachment.id)))
    assert [(i.station_id, i.event_id) for i in items] == [(station.id, None)] * 2
    assert "station.attach" in db.session.scalars(select(AuditEntry.action)).all()

    page = client.get(f"/stations/{station.id}").get_data(as_text=True)
    assert f"/stations/{station.id}/evidence/{items[0].id}/thumb" in page and "evidence.js" in page
    served = client.get(f"/stations/{station.id}/evidence/{items[0].id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg" and b"Huawei" not in served.data

    report = client.get(f"/stations/{station.id}/report.pdf?month=2026-05")
    assert report.status_code == 200
    assert _images(report.data) == 1 and "服务照片" in _text(report.data)  # April's photo stays out of May
    june = client.get(f"/stations/{station.id}/report.pdf?month=2026-06")
    assert _images(june.data) == 0 and "服务照片" not in _text(june.data)


def test_station_files_stay_in_scope_and_apart_from_events(
        client: Any, login: Any, tree: dict[str, Any], make_station: Any, storage: LocalStorage,
        create_program: Any, create_event: Any) -> None:
    station = make_station(tree["a"])
    login(tree["org_a"])
    assert _upload(client, station.id, phone_jpeg(), "驿站.jpg").status_code == 200
    item = db.session.scalar(select(EventAttachment))
    event = create_event(create_program(org=tree["a"]), tree["a"])
    # The photo is the station's: an event's evidence URL with its id finds nothing.
    assert client.get(f"/events/{event.id}/evidence/{item.id}").status_code == 404
    other = make_station(tree["a"], name="另一个驿站")
    assert client.get(f"/stations/{other.id}/evidence/{item.id}").status_code == 404

    login(tree["org_b"])  # another street: neither the file nor the upload
    assert client.get(f"/stations/{station.id}/evidence/{item.id}").status_code == 404
    assert client.get(f"/stations/{station.id}/evidence/{item.id}/thumb").status_code == 404
    assert _upload(client, station.id, phone_jpeg(), "x.jpg").status_code == 404


def test_caption_then_confirmed_delete_removes_row_and_blob(
        client: Any, login: Any, tree: dict[str, Any], make_station: Any, storage: LocalStorage) -> None:
    station = make_station(tree["a"])
    login(tree["org_a"])
    _upload(client, station.id, phone_jpeg(), "驿站.jpg")
    item = db.session.scalar(select(EventAttachment))
    key = item.storage_key
    client.post(f"/stations/{station.id}/evidence/{item.id}/caption", data={"caption": "职工在驿站休息"})
    db.session.expire_all()
    assert db.session.get(EventAttachment, item.id).caption == "职工在驿站休息"
    confirm = client.get(f"/stations/{station.id}/evidence/{item.id}/delete")
    assert confirm.status_code == 200 and "确认删除" in confirm.get_data(as_text=True)
    assert storage.exists(key)
    resp = client.post(f"/stations/{station.id}/evidence/{item.id}/delete", follow_redirects=True)
    assert "已删除" in resp.get_data(as_text=True)
    assert db.session.scalar(select(EventAttachment)) is None
    assert not storage.exists(key)
    assert "station.detach" in db.session.scalars(select(AuditEntry.action)).all()


def test_an_attachment_has_exactly_one_owner(app: Any, tree: dict[str, Any], make_station: Any,
                                            create_program: Any, create_event: Any) -> None:
    station = make_station(tree["a"])
    event = create_event(create_program(org=tree["a"]), tree["a"])
    for owners in ({}, {"event_id": event.id, "station_id": station.id}):
        db.session.add(EventAttachment(kind="photo", storage_key=f"k/{len(owners)}.jpg", content_type="image/jpeg",
                                       original_name="x.jpg", size=1, **owners))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
