"""Chromium enforces the Content-Security-Policy: no staff or public page reports a violation (issue 8 §5).

A violation means something inline (a script, a handler, a style= attribute) is left in a template or
added by a page script in a way the policy refuses; the page would then silently lose that behaviour.
"""
from __future__ import annotations

from typing import Any

from tests.e2e.conftest import LAPTOP, PHONE


def _watch(page: Any, seen: list[str]) -> None:
    page.on("console", lambda msg: seen.append(msg.text) if "Content Security Policy" in msg.text else None)


def test_no_page_violates_the_policy(live_server, browser, tree, create_program, create_event,  # type: ignore[no-untyped-def]
                                     create_participant, create_check_in) -> None:
    program = create_program(org=tree["root"])
    event = create_event(program, tree["a"], registration_mode="on", expected_attendance=10)
    create_check_in(event, create_participant("王小明", "13800138000"))
    violations: list[str] = []
    staff = browser.new_context(**LAPTOP).new_page()
    _watch(staff, violations)
    staff.goto(f"{live_server}/login")
    staff.fill("input[name=username]", tree["org_a"].username)
    staff.fill("input[name=password]", "correct-horse-26")
    staff.click("button:has-text('登录')")
    staff.wait_for_url(f"{live_server}/")
    for path in ("/", "/programs", f"/programs/{program.id}", f"/programs/{program.id}/edit", "/events",
                 f"/events/{event.id}", f"/events/{event.id}/edit", f"/events/{event.id}/registrations",
                 f"/events/{event.id}/qr", f"/events/{event.id}/screen", f"/events/{event.id}/scanner",
                 "/events/99999999999999999999"):
        staff.goto(f"{live_server}{path}")
        staff.wait_for_load_state("load")
    # Behaviour moved out of inline handlers still works: the status filter submits itself.
    staff.goto(f"{live_server}/events/{event.id}/registrations")
    staff.select_option("select#status", index=1)
    staff.wait_for_url("**status=*")
    # Progress bars get their width from data-bar-width through app.js (style= attributes are refused).
    staff.goto(f"{live_server}/events/{event.id}/screen")
    assert staff.eval_on_selector("#big-bar", "el => el.style.width") == "10%"
    phone = browser.new_context(**PHONE).new_page()
    _watch(phone, violations)
    for path in (f"/c/{event.code}", f"/c/{event.code}/register"):
        phone.goto(f"{live_server}{path}")
        phone.wait_for_load_state("load")
    assert not violations, "\n".join(violations)
