"""Security headers on every answer, and templates without inline code the CSP would have to allow."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from eventsvc import create_app

TEMPLATES = Path(__file__).resolve().parents[2] / "eventsvc" / "templates"
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTR = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)
JS_URL = re.compile(r"(href|src|action)\s*=\s*[\"']?\s*javascript:", re.IGNORECASE)


def _templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


def test_templates_are_found() -> None:
    assert len(_templates()) > 20


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_template_has_no_inline_code(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    problems = [f"inline <script>: {m.group(0)}" for m in INLINE_SCRIPT.finditer(text)]
    problems += [f"on*= handler: {m.group(0)[-60:]}" for m in HANDLER.finditer(text)]
    problems += [f"style= attribute: {m.group(0)[-60:]}" for m in STYLE_ATTR.finditer(text)]
    problems += [f"javascript: URL: {m.group(0)}" for m in JS_URL.finditer(text)]
    assert not problems, "\n".join(problems)


def test_the_scan_catches_what_it_should() -> None:
    """The patterns above are what keeps the CSP strict; make sure they are not vacuous."""
    assert INLINE_SCRIPT.search('<script>alert(1)</script>')
    assert not INLINE_SCRIPT.search('<script src="/static/app.js" defer></script>')
    assert HANDLER.search('<select name="s" onchange="this.form.submit()">')
    assert not HANDLER.search('<select name="s" data-autosubmit>')
    assert STYLE_ATTR.search('<div style="width: 3%">')


def _csp(resp) -> dict[str, str]:  # type: ignore[no-untyped-def]
    policy = resp.headers["Content-Security-Policy"]
    return {part.split()[0]: part for part in (p.strip() for p in policy.split(";")) if part}


def test_login_page_has_strict_csp_and_no_camera(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/login")
    assert resp.status_code == 200
    directives = _csp(resp)
    assert "'unsafe-inline'" not in resp.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in resp.headers["Content-Security-Policy"]
    assert directives["script-src"] == "script-src 'self'"
    assert directives["object-src"] == "object-src 'none'"
    assert "camera=()" in resp.headers["Permissions-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in resp.headers  # development/testing: plain http is fine


def test_scanner_page_alone_may_use_the_camera(tree, login, create_program, create_event) -> None:  # type: ignore[no-untyped-def]
    event = create_event(create_program(org=tree["root"]), tree["a"])
    client = login(tree["checker_a"])
    scanner = client.get(f"/events/{event.id}/scanner")
    assert scanner.status_code == 200
    assert "camera=(self)" in scanner.headers["Permissions-Policy"]
    page = client.get(f"/events/{event.id}")
    assert page.status_code == 200
    assert "camera=()" in page.headers["Permissions-Policy"]


def test_pages_showing_people_are_not_stored(tree, login, create_program, create_event,  # type: ignore[no-untyped-def]
                                             create_participant, create_check_in) -> None:
    event = create_event(create_program(org=tree["root"]), tree["a"])
    create_check_in(event, create_participant("王小明", "13812340001"))
    client = login(tree["org_a"])
    for url in (f"/events/{event.id}", f"/events/{event.id}/registrations", f"/events/{event.id}/roster.pdf",
                f"/api/events/{event.id}/search?q=0001", f"/events/{event.id}/checkins.xlsx"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert "no-store" in resp.headers["Cache-Control"], url
    page = client.get(f"/events/{event.id}")
    assert "王小明" in page.get_data(as_text=True)
    assert "Content-Security-Policy" in page.headers


def test_public_check_in_page_is_not_stored(tree, create_program, create_event, client) -> None:  # type: ignore[no-untyped-def]
    event = create_event(create_program(org=tree["root"]), tree["a"])
    resp = client.get(f"/c/{event.code}")
    assert resp.status_code == 200
    assert "no-store" in resp.headers["Cache-Control"]
    assert "'unsafe-inline'" not in resp.headers["Content-Security-Policy"]


def test_static_files_may_be_cached(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/static/app.js")
    assert resp.status_code == 200
    assert "no-store" not in resp.headers.get("Cache-Control", "")
    resp.close()


def test_production_sends_hsts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTSVC_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.setenv("EVENTSVC_SMS_BACKEND", "aliyun")
    monkeypatch.setenv("EVENTSVC_SMS_ALIYUN_ACCESS_KEY_ID", "id")
    monkeypatch.setenv("EVENTSVC_SMS_ALIYUN_ACCESS_KEY_SECRET", "secret")
    monkeypatch.setenv("EVENTSVC_SMS_SIGN_NAME", "龙岗区总工会")
    monkeypatch.setenv("EVENTSVC_SMS_TEMPLATES", '{"verify_code": "SMS_1"}')
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    app = create_app()
    resp = app.test_client().get("/login")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=31536000")
