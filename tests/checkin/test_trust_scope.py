"""Issue 8 §1: staff writes across scope. A participant is district-wide; only staff whose scope covers
where the person was first recorded (or district staff) change the stored details."""
from __future__ import annotations

import re

from sqlalchemy import select

from eventsvc.checkin.models import CheckIn, Participant
from eventsvc.checkin.operations import check_in, may_edit_participant, upsert_participant
from eventsvc.extensions import db

PHONE = "13700001234"


def text(resp) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.get_data(as_text=True)))


def _known_in_bantian(tree, create_event, create_program):  # type: ignore[no-untyped-def]
    """坂田 records the person first (through its own walk-in)."""
    bantian = create_event(program=create_program(org=tree["b"]), org=tree["b"])
    person = upsert_participant("王坂田", PHONE, "坂田某物流公司", by=tree["org_b"], organization=bantian.organization)
    check_in(bantian, person, by=tree["org_b"], method="manual", given={"name": "王坂田"})
    db.session.commit()
    return person


def test_first_unit_is_remembered_and_decides_who_may_edit(tree, create_event, create_program):
    person = _known_in_bantian(tree, create_event, create_program)
    assert person.first_organization_id == tree["b"].id
    assert may_edit_participant(tree["org_b"], person)
    assert not may_edit_participant(tree["checker_a"], person) and not may_edit_participant(tree["org_a"], person)
    assert may_edit_participant(tree["admin"], person)  # district staff
    assert not may_edit_participant(None, person)  # a worker's own form


def test_walk_in_by_another_street_neither_renames_nor_shows_stored_details(
        login, client, tree, create_event, create_program):
    _known_in_bantian(tree, create_event, create_program)
    pinghu = create_event(program=create_program(org=tree["a"]), org=tree["a"])
    login(tree["checker_a"])
    resp = client.post(f"/events/{pinghu.id}/walk-in",
                       data={"name": "王平湖", "phone": PHONE, "workplace": "平湖某店"}, follow_redirects=True)
    page = text(resp)
    assert "已为 王平湖 签到" in page
    assert "王坂田" not in page and "坂田某物流公司" not in page  # the stored details stay 坂田's
    db.session.expire_all()
    person = db.session.scalar(select(Participant).where(Participant.phone == PHONE))
    assert (person.name, person.workplace) == ("王坂田", "坂田某物流公司")
    record = db.session.scalar(select(CheckIn).where(CheckIn.event_id == pinghu.id))
    assert (record.name_given, record.workplace_given) == ("王平湖", "平湖某店")


def test_scanner_walk_in_from_another_street_answers_with_what_was_typed(
        login, client, tree, create_event, create_program):
    _known_in_bantian(tree, create_event, create_program)
    pinghu = create_event(program=create_program(org=tree["a"]), org=tree["a"])
    login(tree["checker_a"])
    body = {"scans": [{"client_scan_id": "3f1c9e0e-0000-4000-8000-000000000001",
                       "person": {"name": "王平湖", "phone": PHONE, "workplace": "平湖某店"}}]}
    answer = client.post(f"/api/events/{pinghu.id}/sync", json=body).get_json()["results"][0]
    assert answer["outcome"] == "success" and answer["name"] == "王平湖" and answer["workplace"] == "平湖某店"
    assert "王坂田" not in str(answer) and "坂田某物流公司" not in str(answer)


def test_staff_of_the_first_unit_and_district_staff_may_correct(tree, create_event, create_program):
    person = _known_in_bantian(tree, create_event, create_program)
    upsert_participant("王更正", PHONE, "坂田新单位", by=tree["org_b"], organization=tree["b"])
    assert (person.name, person.workplace) == ("王更正", "坂田新单位")
    upsert_participant("王区总", PHONE, "", by=tree["admin"], organization=tree["root"])
    assert person.name == "王区总"
    upsert_participant("王平湖", PHONE, "平湖", by=tree["org_a"], organization=tree["a"])
    assert person.name == "王区总" and person.workplace == "坂田新单位"


def test_event_page_search_never_matches_stored_details_outside_edit_scope(
        login, client, tree, create_event, create_program):
    _known_in_bantian(tree, create_event, create_program)
    pinghu = create_event(program=create_program(org=tree["a"]), org=tree["a"])
    login(tree["checker_a"])
    client.post(f"/events/{pinghu.id}/walk-in", data={"name": "王平湖", "phone": PHONE, "workplace": "平湖某店"},
                follow_redirects=True)  # the flash "已为 王平湖 签到" is shown here, not on the searches below
    for q in ("坂田", "王坂田", "物流"):  # 坂田's stored name and workplace: not the checker's to see
        page = text(client.get(f"/events/{pinghu.id}?q={q}"))
        assert "没有找到匹配的签到记录" in page and "王平湖" not in page and "王坂田" not in page
    assert "王平湖" in text(client.get(f"/events/{pinghu.id}?q=平湖某"))  # what was typed here matches
    assert "王平湖" in text(client.get(f"/events/{pinghu.id}?q=1234"))  # the last digits still do
    login(tree["admin"])  # district staff may see the stored details: they match
    page = text(client.get(f"/events/{pinghu.id}?q=王坂田"))
    assert "王平湖" in page and "没有找到匹配的签到记录" not in page
