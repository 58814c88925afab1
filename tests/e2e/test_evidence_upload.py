"""A phone uploads several files at once: each gets a progress bar and its own result, refusals in Chinese."""
from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from eventsvc.core.storage import LocalStorage
from eventsvc.events.evidence_models import EventAttachment
from eventsvc.extensions import db
from tests.e2e.conftest import PHONE
from tests.factories import TEST_PASSWORD


def _jpeg(color: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), color).save(out, "JPEG")
    return out.getvalue()


def test_phone_uploads_several_files_with_progress(live_server: str, browser: Any, tree: dict[str, Any],
                                                   create_program: Any, create_event: Any, app: Any,
                                                   tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.extensions, "eventsvc.storage", LocalStorage(tmp_path / "files"))
    event = create_event(create_program(org=tree["root"]), tree["a"])
    page = browser.new_context(**PHONE).new_page()
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", tree["org_a"].username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/events/{event.id}/evidence")
    page.set_input_files("#evidence-files", files=[
        {"name": "现场1.jpg", "mimeType": "image/jpeg", "buffer": _jpeg("red")},
        {"name": "setup.jpg", "mimeType": "image/jpeg", "buffer": b"MZ\x90\x00" + b"\x00" * 4000},
        {"name": "现场2.jpg", "mimeType": "image/jpeg", "buffer": _jpeg("blue")},
    ])
    page.click("form.evidence-upload button[type=submit]")
    page.wait_for_selector("text=已上传 2 个，刷新查看")
    rows = page.locator(".upload-list li")
    assert rows.nth(0).inner_text().count("已上传") == 1
    assert "不支持的文件类型" in rows.nth(1).inner_text()
    assert page.locator(".upload-list progress").nth(0).evaluate("el => el.value") == 100
    assert db.session.scalar(select(func.count(EventAttachment.id))) == 2
    page.click("text=已上传 2 个，刷新查看")
    page.wait_for_selector(".photo-grid img")
    assert page.locator(".photo-grid img").count() == 2
    assert page.eval_on_selector(".photo-grid img", "img => img.naturalWidth") > 0  # the thumbnail is served
    assert not violations, "\n".join(violations)
