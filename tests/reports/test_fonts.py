"""Chinese fonts: a TrueType font is embedded when present; the CID font works when none is."""
from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from eventsvc.reports import fonts
from eventsvc.reports.pdf_roster import build_roster_pdf
from eventsvc.reports.records import EventHeader, RosterRow
from tests.reports.conftest import pdf_text

WQY = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
START = datetime(2026, 7, 1, 1, 0)
HEADER = EventHeader("夏送清凉", "环卫工人慰问活动", START, START + timedelta(hours=2), "布吉街道", "布吉街道总工会")
ROWS = [RosterRow("李四", "13912345678", "布吉环卫所", "环卫工人", START)]


def _embedded_font_files(data: bytes) -> list[str]:
    """Return the base names of fonts whose program is embedded in the PDF."""
    names = []
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            if descriptor is not None:
                descriptor = descriptor.get_object()
                if any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    names.append(str(target["/BaseFont"]))
    return names


@pytest.mark.skipif(not Path(WQY).exists(), reason="fonts-wqy-microhei not installed")
def test_truetype_font_is_found_and_embedded(app, fresh_fonts):
    info = fonts.pdf_font()
    assert info.embedded and info.path == WQY
    data = build_roster_pdf(HEADER, ROWS)
    assert _embedded_font_files(data), "expected an embedded TrueType subset"
    assert "环卫工人慰问活动" in pdf_text(data) and "李四" in pdf_text(data)


def test_cid_fallback_when_no_truetype_font_exists(app, fresh_fonts, monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "SYSTEM_FONTS", [(str(tmp_path / "missing.ttc"), 0)])
    app.config["PDF_FONT"] = str(tmp_path / "nowhere.ttf")
    info = fonts.pdf_font()
    assert (info.name, info.embedded) == ("STSong-Light", False)
    data = build_roster_pdf(HEADER, ROWS)
    assert _embedded_font_files(data) == []
    text = pdf_text(data)
    assert "环卫工人慰问活动" in text and "李四" in text and "合计：本场签到1人" in text


def test_noto_and_source_han_are_never_picked(app, fresh_fonts, monkeypatch, tmp_path):
    noto = tmp_path / "NotoSansCJK-Regular.ttc"
    noto.write_bytes(b"not really a font")
    monkeypatch.setattr(fonts, "SYSTEM_FONTS", [(str(noto), 0)])
    app.config["PDF_FONT"] = ""
    assert fonts.pdf_font().embedded is False


def test_a_broken_configured_font_falls_back(app, fresh_fonts, monkeypatch, tmp_path):
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"\x00\x01\x00\x00garbage")
    monkeypatch.setattr(fonts, "SYSTEM_FONTS", [])
    app.config["PDF_FONT"] = str(broken)
    info = fonts.pdf_font()
    assert not info.embedded
    assert "不可用" in info.note


def test_font_is_registered_once_per_process(app, fresh_fonts, monkeypatch):
    calls = []
    real = fonts._choose
    monkeypatch.setattr(fonts, "_choose", lambda configured: calls.append(configured) or real(configured))
    first = fonts.pdf_font()
    assert fonts.pdf_font() is first
    build_roster_pdf(HEADER, ROWS)
    assert len(calls) == 1


def test_admin_page_shows_the_pdf_font(client, login, tree, fresh_fonts):
    login(tree["admin"])
    page = client.get("/admin/settings").get_data(as_text=True)
    info = fonts.pdf_font()
    assert "PDF 中文字体" in page
    assert ("已嵌入" if info.embedded else "未嵌入") in page
    assert "SQLite" in page or "PostgreSQL" in page


def test_admin_page_is_for_admins_only(client, login, tree):
    for user in ("org_a", "district_viewer", "checker_a"):
        login(tree[user])
        assert client.get("/admin/settings").status_code == 403
    client.post("/logout")
    assert client.get("/admin/settings").status_code == 302
