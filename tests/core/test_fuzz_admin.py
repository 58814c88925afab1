"""Generated bad input against the administration forms and pages of issues 9 and 10 (units, accounts, the
audit log, privacy requests, reported figures, plan aliases): never a 5xx (issue 8 §3), on either database."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.core.test_fuzz_inputs import FUZZ, nasty_text

# Unicode digits pass str.isdigit() but not int(): they broke a view once.
id_text = st.one_of(nasty_text, st.sampled_from(["²", "٣", "99999999999999999999", "0", "-1", " 1", "1.0"]))


@pytest.fixture
def world(tree, create_program) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from eventsvc.extensions import db
    from eventsvc.programs.models import CUSTOM, KIND_RATE, KIND_REPORTED
    from eventsvc.programs.operations import TargetSpec

    program = create_program(org=tree["root"], targets=[
        TargetSpec(CUSTOM, 10, label="新增建会企业", unit="家", kind=KIND_REPORTED),
        TargetSpec(CUSTOM, 85, label="集体合同签订率", kind=KIND_RATE)])
    db.session.commit()
    return {"program": program, "tree": tree}


def _ok(resp: Any, what: str) -> None:
    assert resp.status_code < 500, f"{what} -> {resp.status_code}: {resp.get_data(as_text=True)[:300]}"


@given(name=nasty_text, kind=nasty_text, parent=id_text, phone=nasty_text, order=id_text, confirmed=nasty_text)
@settings(FUZZ, max_examples=50)
def test_unit_forms_survive_any_fields(client, world, login, name: str, kind: str, parent: str,  # type: ignore[no-untyped-def]
                                       phone: str, order: str, confirmed: str) -> None:
    admin = login(world["tree"]["admin"])
    street = world["tree"]["a"].id
    data = {"name": name, "short_name": name, "kind": kind, "parent_id": parent, "contact_name": name,
            "contact_phone": phone, "sort_order": order}
    _ok(admin.post("/admin/organizations/new", data=data), "new unit")
    _ok(admin.post(f"/admin/organizations/{street}/edit", data=data), "edit unit")
    _ok(admin.post(f"/admin/organizations/{street}/move", data={"parent_id": parent, "confirmed": confirmed}),
        "move unit")
    _ok(admin.get(f"/admin/organizations?q={quote(name, safe='')}&kind={quote(kind, safe='')}"), "unit list")


@given(username=nasty_text, name=nasty_text, phone=nasty_text, org=id_text, role=nasty_text, page=id_text)
@settings(FUZZ, max_examples=50)
def test_account_forms_survive_any_fields(client, world, login, username: str, name: str, phone: str,  # type: ignore[no-untyped-def]
                                          org: str, role: str, page: str) -> None:
    admin = login(world["tree"]["admin"])
    data = {"username": username, "display_name": name, "phone": phone, "organization": org, "role": role}
    _ok(admin.post("/admin/users/new", data=data), "new user")
    _ok(admin.post(f"/admin/users/{world['tree']['viewer_a'].id}/edit", data=data), "edit user")
    q = {k: quote(v, safe="") for k, v in (("q", name), ("org", org), ("role", role), ("page", page))}
    _ok(admin.get(f"/admin/users?q={q['q']}&org_id={q['org']}&role={q['role']}&active={q['role']}"
                  f"&page={q['page']}"), "user list")


@given(actor=nasty_text, action=nasty_text, object_type=nasty_text, object_id=id_text, org=id_text,
       date_from=nasty_text, date_to=nasty_text)
@settings(FUZZ, max_examples=50)
def test_audit_filters_survive_anything(client, world, login, actor: str, action: str, object_type: str,  # type: ignore[no-untyped-def]
                                        object_id: str, org: str, date_from: str, date_to: str) -> None:
    args = {"actor": actor, "action": action, "object_type": object_type, "object_id": object_id, "org_id": org,
            "date_from": date_from, "date_to": date_to}
    admin = login(world["tree"]["admin"])
    _ok(admin.get("/admin/audit", query_string=args), "audit page")
    _ok(admin.get("/admin/audit/export.xlsx", query_string=args), "audit export")
    viewer = login(world["tree"]["viewer_a"])  # an event's history is open to anyone who sees the event
    _ok(viewer.get("/admin/audit", query_string={**args, "object_type": "event"}), "event history")


@given(org=id_text, period=nasty_text, label=nasty_text, value=nasty_text, numerator=nasty_text,
       denominator=nasty_text, reason=nasty_text)
@settings(FUZZ, max_examples=50)
def test_reported_figure_forms_survive_any_fields(client, world, login, org: str, period: str, label: str,  # type: ignore[no-untyped-def]
                                                  value: str, numerator: str, denominator: str, reason: str) -> None:
    street = login(world["tree"]["org_a"])
    program_id = world["program"].id
    data = {"organization_id": org, "period": period, "label": label, "value": value, "numerator": numerator,
            "denominator": denominator, "note": reason}
    _ok(street.post(f"/programs/{program_id}/reports", data=data), "submit figure")
    _ok(street.post(f"/programs/{program_id}/reports/1/reject", data={"reason": reason}), "reject figure")


@given(phone=nasty_text, alias=nasty_text, org=id_text)
@settings(FUZZ, max_examples=40)
def test_privacy_and_alias_forms_survive_any_fields(client, world, login, phone: str, alias: str,  # type: ignore[no-untyped-def]
                                                    org: str) -> None:
    admin = login(world["tree"]["admin"])
    _ok(admin.post("/admin/privacy", data={"phone": phone}), "find person")
    _ok(admin.post("/programs/import/aliases", data={"alias": alias, "organization_id": org}), "add alias")


@pytest.mark.parametrize("digit", ["²", "99999999999999999999"])
def test_unicode_digits_and_huge_ids_are_clear_4xx(client, world, login, create_event, digit: str) -> None:  # type: ignore[no-untyped-def]
    """Cases the generators found: "²".isdigit() is true but int("²") fails; 20 digits overflow the column."""
    tree = world["tree"]
    admin = login(tree["admin"])
    assert admin.get("/admin/audit", query_string={"object_id": digit, "org_id": digit}).status_code == 400
    event = create_event(org=tree["a"])
    assert admin.get(f"/events/{event.id}/blank-roster.pdf?rows={quote(digit)}").status_code == 400
    resp = login(tree["org_a"]).post(f"/programs/{world['program'].id}/reports", data={
        "organization_id": digit, "period": "2026-01", "label": "新增建会企业", "value": "1"})
    assert resp.status_code == 400  # "请选择填报单位", or the input layer's answer to a number too large
