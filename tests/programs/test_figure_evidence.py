"""Reported figures take an optional evidence file (issue 10 §3): checked by content, served by scope only."""
from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import ExifTags, Image
from sqlalchemy import select

from eventsvc.audit.models import AuditEntry
from eventsvc.core.storage import LocalStorage
from eventsvc.extensions import db
from eventsvc.programs.models import CUSTOM, KIND_REPORTED
from eventsvc.programs.operations import TargetSpec
from eventsvc.programs.reported_models import APPROVED, PENDING, ReportedFigure

GPS = ExifTags.IFD.GPSInfo
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 2000 + b"This program cannot be run in DOS mode."


def phone_jpeg() -> bytes:
    """A JPEG as a phone writes it, with the place it was taken."""
    exif = Image.Exif()
    exif.get_ifd(GPS).update({1: "N", 2: (22.0, 43.0, 12.5), 3: "E", 4: (114.0, 14.0, 48.0)})
    out = io.BytesIO()
    Image.new("RGB", (640, 480), "blue").save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def storage(app: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> LocalStorage:
    """Files of this test only, in its own folder (the app keeps one backend per process)."""
    backend = LocalStorage(tmp_path / "files")
    monkeypatch.setitem(app.extensions, "eventsvc.storage", backend)
    return backend


@pytest.fixture
def program(tree: dict[str, Any], create_program: Any) -> Any:
    return create_program(org=tree["root"], name="新增建会", targets=[
        TargetSpec(CUSTOM, 1000, label="新增建会企业", unit="家", kind=KIND_REPORTED)])


def submit(client: Any, program: Any, org: Any, data: bytes | None, name: str = "", **extra: str) -> Any:
    form: dict[str, Any] = {"label": "新增建会企业", "organization_id": str(org.id), "period": "2026-01",
                            "value": "37", **extra}
    if data is not None:
        form["evidence"] = (io.BytesIO(data), name)
    return client.post(f"/programs/{program.id}/reports", data=form, content_type="multipart/form-data")


def the_figure() -> ReportedFigure:
    db.session.expire_all()
    return db.session.scalars(select(ReportedFigure)).one()


def test_street_attaches_a_document_served_only_within_scope(client: Any, login: Any, tree: dict[str, Any],
                                                              program: Any, storage: LocalStorage) -> None:
    login(tree["org_a"])
    page = client.get(f"/programs/{program.id}/reports").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'name="evidence"' in page and "佐证材料（选填）" in page
    assert submit(client, program, tree["a"], PDF, "1月建会台账.pdf", note="见台账").status_code == 302
    figure = the_figure()
    assert (figure.status, figure.evidence_name, figure.evidence_type) == (PENDING, "1月建会台账.pdf",
                                                                           "application/pdf")
    assert figure.evidence_key and storage.read(figure.evidence_key) == PDF
    url = f"/programs/{program.id}/reports/{figure.id}/evidence"
    assert f'href="{url}"' in client.get(f"/programs/{program.id}/reports").get_data(as_text=True)
    served = client.get(url)
    assert served.status_code == 200 and served.data == PDF and served.mimetype == "application/pdf"
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert "report.evidence" in db.session.scalars(select(AuditEntry.action)).all()

    # The reviewer above sees it; another street's organizer gets a 404, as if it did not exist.
    login(tree["admin"])
    assert client.get(url).data == PDF
    login(tree["org_b"])
    assert client.get(url).status_code == 404
    assert url not in client.get(f"/programs/{program.id}/reports").get_data(as_text=True)


def test_photo_evidence_is_cleaned_and_replacing_it_removes_the_old_file(
        client: Any, login: Any, tree: dict[str, Any], program: Any, storage: LocalStorage) -> None:
    login(tree["org_a"])
    assert submit(client, program, tree["a"], phone_jpeg(), "IMG_0001.jpg").status_code == 302
    first = the_figure().evidence_key
    assert first is not None
    served = client.get(f"/programs/{program.id}/reports/{the_figure().id}/evidence")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["Content-Disposition"].startswith("inline")
    with Image.open(io.BytesIO(served.data)) as photo:
        assert not photo.getexif().get_ifd(GPS)  # where it was taken is not kept

    # Correcting the pending figure without a file keeps the evidence; with a file replaces it.
    assert submit(client, program, tree["a"], None, value="38").status_code == 302
    assert the_figure().evidence_key == first and the_figure().value == 38
    assert submit(client, program, tree["a"], PDF, "更正.pdf", value="39").status_code == 302
    figure = the_figure()
    assert figure.evidence_name == "更正.pdf" and figure.evidence_key != first
    assert storage.exists(figure.evidence_key or "") and not storage.exists(first)

    # Approved by the unit above: figure and evidence are fixed.
    login(tree["admin"])
    assert client.post(f"/programs/{program.id}/reports/{figure.id}/approve").status_code == 302
    login(tree["org_a"])
    resp = submit(client, program, tree["a"], phone_jpeg(), "晚到的照片.jpg", value="39")
    assert resp.status_code == 400 and "已审核" in resp.get_data(as_text=True)
    assert the_figure().status == APPROVED and the_figure().evidence_name == "更正.pdf"


def test_a_renamed_executable_is_refused_and_nothing_is_stored(client: Any, login: Any, tree: dict[str, Any],
                                                               program: Any, storage: LocalStorage) -> None:
    login(tree["org_a"])
    resp = submit(client, program, tree["a"], EXE, "台账.pdf")
    assert resp.status_code == 400
    assert "佐证材料：不支持的文件类型" in resp.get_data(as_text=True)
    assert db.session.scalars(select(ReportedFigure)).all() == []
    assert not (storage.root.exists() and any(p.is_file() for p in storage.root.rglob("*")))
    # A figure without evidence answers 404 for its file.
    assert submit(client, program, tree["a"], None).status_code == 302
    assert client.get(f"/programs/{program.id}/reports/{the_figure().id}/evidence").status_code == 404


def test_district_entering_its_own_figure_may_attach_evidence(client: Any, login: Any, tree: dict[str, Any],
                                                              program: Any, storage: LocalStorage) -> None:
    # The district's own figure is approved as it is entered, by the one entering it: evidence goes with it.
    login(tree["admin"])
    assert submit(client, program, tree["root"], PDF, "区级汇总.pdf").status_code == 302
    figure = the_figure()
    assert figure.status == APPROVED and figure.evidence_name == "区级汇总.pdf"
