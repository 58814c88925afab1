"""The scanner's 撤销此签到 button: hidden on load, on refusals and after an undo; shown after a success.

Also: the undo answer does not repeat its verb, and every control on the scanner is at least 44 px.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.e2e.test_scanner_e2e import count_check_ins, open_scanner, wait_text

# Visible controls (zero-size ones sit in a closed <details>) smaller than 44 px either way.
SMALL_CONTROLS = """() => Array.from(document.querySelectorAll(
    'header a, header button, #scanner a, #scanner button, #scanner input, #scanner select, #scanner summary'))
  .filter(el => el.type !== 'hidden' && el.type !== 'radio')
  .map(el => [el.id || el.name || el.className || el.tagName, el.getBoundingClientRect()])
  .filter(([, r]) => r.width > 0 && r.height > 0 && (r.width < 44 || r.height < 44))
  .map(([name, r]) => name + ' ' + Math.round(r.width) + 'x' + Math.round(r.height))"""


@pytest.fixture
def event(create_event, create_program, tree):  # type: ignore[no-untyped-def]
    program = create_program(org=tree["a"])
    return create_event(program=program, org=tree["a"], starts_in=timedelta(minutes=30), title="龙城外卖员体检")


def walk_in(page, name: str, phone: str) -> None:  # type: ignore[no-untyped-def]
    page.fill("#w-name", name)
    page.fill("#w-phone", phone)
    page.click("#walkin-form button[type=submit]")


def test_undo_button_only_after_a_success_that_can_be_undone(live_server, browser, event, artifacts_dir):
    context, page = open_scanner(browser, live_server, event.id)
    assert not page.is_visible("#undo")  # on load
    assert page.evaluate(SMALL_CONTROLS) == []
    page.click("#walkin-box summary")
    assert page.evaluate(SMALL_CONTROLS) == []

    # A red refusal: no undo.
    walk_in(page, "刘洋", "12345")
    page.wait_for_selector("#result.bad", timeout=20000)
    assert not page.is_visible("#undo")

    # A success: the undo button shows; it works and hides again.
    walk_in(page, "刘洋", "13612345678")
    wait_text(page, "#r-title", "签到成功")
    assert page.is_visible("#undo")
    page.screenshot(path=str(artifacts_dir / "scanner-undo-visible.png"), full_page=True)
    assert count_check_ins(event.id) == 1
    page.once("dialog", lambda d: d.accept())
    page.click("#undo")
    wait_text(page, "#r-title", "已撤销")
    assert page.text_content("#r-name").strip() == "刘洋"
    shown = page.text_content("#result") or ""
    assert shown.count("已撤销") == 1, shown  # not "已撤销 已撤销 刘洋 的签到"
    assert not page.is_visible("#undo")
    assert count_check_ins(event.id) == 0

    # An amber repeat: no undo either.
    walk_in(page, "刘洋", "13612345678")
    wait_text(page, "#r-title", "签到成功")
    walk_in(page, "刘洋", "13612345678")
    wait_text(page, "#r-title", "已签到")
    assert not page.is_visible("#undo")
    page.screenshot(path=str(artifacts_dir / "scanner-undo-hidden.png"), full_page=True)
    context.close()
