"""Generated bad input against public pages, the scanner API and staff forms: never a 5xx (issue 8 §3).

Runs on whichever database the suite uses (SQLite, or PostgreSQL under scripts/with-postgres.sh), where a
NUL byte or a 20-digit id used to reach the database. Examples are bounded so the file stays under a minute.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=100, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Path segments and field values of the kinds that broke pages: huge ints, control characters, any unicode.
huge_ints = st.one_of(st.integers(min_value=2**31 - 5, max_value=2**80), st.integers(max_value=0),
                      st.integers(min_value=1, max_value=50))
nasty_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec=None, max_codepoint=0x9F), max_size=20),
    st.sampled_from(["\x00", "abc\x00", "\u0000\u0001", "\ufffe\uffff", "\U0001F600", "0001-01-01", "9" * 30,
                     "-1", "1e309", "NaN", "<script>", "'; DROP TABLE event; --", "%00", "\r\n"]),
    huge_ints.map(str),
    st.dates().map(str),  # year 0001 and 9999 included
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")),
)


@pytest.fixture
def world(tree, create_program, create_event, create_participant, create_check_in) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    program = create_program(org=tree["root"])
    event = create_event(program, tree["a"], registration_mode="on")
    create_check_in(event, create_participant("李四", "13812345678"))
    return {"program": program, "event": event, "tree": tree}


def _as(world: dict[str, Any], login: Any, key: str) -> Any:
    """Log in once per test, not once per example (the examples share the test's client)."""
    if world.get("logged_in") != key:
        world["client"] = login(world["tree"][key])
        world["logged_in"] = key
    return world["client"]


def _ok(resp: Any, what: str) -> None:
    assert resp.status_code < 500, f"{what} -> {resp.status_code}: {resp.get_data(as_text=True)[:300]}"


@given(segment=nasty_text, query=nasty_text)
@FUZZ
def test_public_pages_survive_any_path_and_query(client, world, segment: str, query: str) -> None:  # type: ignore[no-untyped-def]
    code = world["event"].code
    seg, q = quote(segment, safe=""), quote(query, safe="")
    for url in (f"/c/{seg}", f"/c/{seg}/register", f"/t/{seg}", f"/t/{seg}.png", f"/c/{code}?t={q}",
                f"/c/{code}/register?{q}={q}", f"/c/{code}/done?{q}"):
        _ok(client.get(url), url)


@given(name=nasty_text, phone=nasty_text, workplace=nasty_text, extra=nasty_text)
@FUZZ
def test_public_forms_survive_any_fields(client, world, name: str, phone: str, workplace: str,  # type: ignore[no-untyped-def]
                                         extra: str) -> None:
    code = world["event"].code
    data = {"name": name, "phone": phone, "workplace": workplace, "group": extra, "consent": "y", extra: extra}
    for url in (f"/c/{code}", f"/c/{code}/register", f"/c/{code}/checkout"):
        _ok(client.post(url, data=data), url)


@given(number=huge_ints, query=nasty_text)
@FUZZ
def test_staff_urls_survive_any_id(client, world, login, number: int, query: str) -> None:  # type: ignore[no-untyped-def]
    staff = _as(world, login, "admin")
    q = quote(query, safe="")
    for url in (f"/events/{number}", f"/programs/{number}", f"/events/{number}/roster.pdf",
                f"/api/events/{number}/stats", f"/reports/year/{number}.pdf", f"/events?page={q}&year={q}",
                f"/events?program_id={q}&date_from={q}&date_to={q}", f"/programs?year={q}", f"/?year={q}",
                f"/events/{world['event'].id}?q={q}", f"/api/events/{world['event'].id}/search?q={q}"):
        _ok(staff.get(url), url)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats() | nasty_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(nasty_text, children, max_size=4),
    max_leaves=30,
)
scan = st.fixed_dictionaries({}, optional={
    "client_scan_id": st.one_of(nasty_text, st.just("scan-0001-abcd")),
    "mode": st.sampled_from(["in", "out", "sideways", ""]) | nasty_text,
    "scanned_at": json_values,
    "code": json_values,
    "participant_id": st.one_of(huge_ints, huge_ints.map(str), json_values),
    "person": st.one_of(json_values, st.fixed_dictionaries({"name": nasty_text, "phone": nasty_text})),
})


@given(body=st.one_of(json_values, st.fixed_dictionaries({"scans": st.lists(scan, max_size=5)})))
@FUZZ
def test_scanner_api_survives_any_json(client, world, login, body: Any) -> None:  # type: ignore[no-untyped-def]
    staff = _as(world, login, "checker_a")
    event_id = world["event"].id
    resp = staff.post(f"/api/events/{event_id}/sync", data=json.dumps(body), content_type="application/json")
    _ok(resp, "sync")
    assert resp.is_json  # the scanner never has to parse an HTML page
    _ok(staff.post("/api/check-ins/1/undo", data=json.dumps(body), content_type="application/json"), "undo")


@given(depth=st.integers(min_value=21, max_value=50_000), opener=st.sampled_from(["[", '{"a":']))
@settings(FUZZ, max_examples=30)
def test_scanner_api_refuses_deep_json_in_chinese(client, world, login, depth: int, opener: str) -> None:  # type: ignore[no-untyped-def]
    staff = _as(world, login, "checker_a")
    closer = "]" if opener == "[" else "}"
    resp = staff.post(f"/api/events/{world['event'].id}/sync", data=opener * depth + "1" + closer * depth,
                      content_type="application/json")
    assert resp.status_code == 400
    assert "嵌套太深" in resp.get_json()["error"]


event_fields = st.fixed_dictionaries({
    "title": nasty_text, "description": nasty_text, "starts_at": nasty_text, "ends_at": nasty_text,
    "capacity": nasty_text, "expected_attendance": nasty_text, "venue_name": nasty_text,
    "checkin_opens_at": st.sampled_from(["0001-01-01T00:00", "9999-12-31T23:59", "2026-07-01T09:00", ""]),
    "quantities-0-label": nasty_text, "quantities-0-value": nasty_text, "quantities-0-unit": nasty_text,
    "registration_capacity": nasty_text, "level": nasty_text, "kind": nasty_text, "organization_id": nasty_text,
})
program_fields = st.fixed_dictionaries({
    "year": nasty_text, "name": nasty_text, "starts_on": nasty_text, "ends_on": nasty_text,
    "description": nasty_text, "targets-0-metric": nasty_text, "targets-0-value": nasty_text,
    "organization_id": nasty_text, "lead_department_ids": nasty_text,
})


@given(fields=event_fields, program=program_fields)
@FUZZ
def test_staff_forms_survive_any_fields(client, world, login, fields: dict[str, str],  # type: ignore[no-untyped-def]
                                        program: dict[str, str]) -> None:
    staff = _as(world, login, "admin")
    event, prog = world["event"], world["program"]
    event_data = {"program_id": str(prog.id), **fields}
    _ok(staff.post(f"/events/{event.id}/edit", data=event_data), "edit event")
    _ok(staff.post(f"/programs/{prog.id}/events/new", data=event_data), "new event")
    _ok(staff.post(f"/programs/{prog.id}/edit", data=program), "edit program")
    _ok(staff.post("/programs/new", data=program), "new program")
    _ok(staff.post(f"/events/{event.id}/walk-in", data={"name": fields["title"], "phone": fields["capacity"]}),
        "walk-in")


@given(data=st.one_of(st.binary(max_size=2048), st.binary(max_size=64).map(lambda b: b"PK\x03\x04" + b)))
@settings(FUZZ, max_examples=60)
def test_xlsx_upload_survives_any_bytes(client, world, login, data: bytes) -> None:  # type: ignore[no-untyped-def]
    import io

    staff = _as(world, login, "org_a")
    resp = staff.post(f"/events/{world['event'].id}/import",
                      data={"file": (io.BytesIO(data), "签到表.xlsx")}, content_type="multipart/form-data")
    _ok(resp, "import")
