"""Issue 8 §1: the scanner's person search shows another street's stored details to nobody outside that
street's scope: they see the name and workplace as given at this event."""
from __future__ import annotations

from eventsvc.checkin.operations import check_in, register, upsert_participant
from eventsvc.extensions import db

PHONE = "13700005678"


def _pinghu_event_with_bantian_person(tree, create_event, create_program):  # type: ignore[no-untyped-def]
    """坂田 recorded the person first; at 平湖's event they checked in as 王平湖, and someone else registered."""
    person = upsert_participant("王坂田", PHONE, "坂田某物流公司", by=tree["org_b"], organization=tree["b"])
    other = upsert_participant("李坂田", "13700008765", "坂田某快递", by=tree["org_b"], organization=tree["b"])
    pinghu = create_event(program=create_program(org=tree["a"]), org=tree["a"], registration_mode="on")
    check_in(pinghu, person, by=tree["org_a"], method="manual", given={"name": "王平湖", "workplace": "平湖某店"})
    register(pinghu, {"name": "李平湖", "phone": "13700008765", "workplace": "平湖某厂"}, by=tree["org_a"])
    db.session.commit()
    assert (other.name, other.workplace) == ("李坂田", "坂田某快递")  # staff of another street renamed no one
    return pinghu


def _search(client, event, q: str) -> list[dict]:  # type: ignore[no-untyped-def]
    resp = client.get(f"/api/events/{event.id}/search", query_string={"q": q})
    assert resp.status_code == 200
    return resp.get_json()["people"]  # type: ignore[no-any-return]


def test_checker_of_another_street_sees_what_was_given_here(login, client, tree, create_event, create_program):
    event = _pinghu_event_with_bantian_person(tree, create_event, create_program)
    login(tree["checker_a"])
    people = _search(client, event, "5678")
    assert [(p["name"], p["workplace"]) for p in people] == [("王平湖", "平湖某店")]
    assert "王坂田" not in str(people) and "坂田某物流公司" not in str(people)
    registered = _search(client, event, "8765")
    assert [(p["name"], p["workplace"], p["registration"]) for p in registered] == [("李平湖", "平湖某厂", "已报名")]


def test_name_search_matches_given_names_not_stored_ones(login, client, tree, create_event, create_program):
    event = _pinghu_event_with_bantian_person(tree, create_event, create_program)
    login(tree["checker_a"])
    assert [p["name"] for p in _search(client, event, "王平湖")] == ["王平湖"]
    assert [p["name"] for p in _search(client, event, "李平湖")] == ["李平湖"]
    assert _search(client, event, "坂田") == []  # a stored name reveals neither details nor that it exists


def test_district_staff_who_may_edit_see_the_stored_details(login, client, tree, create_event, create_program):
    event = _pinghu_event_with_bantian_person(tree, create_event, create_program)
    login(tree["admin"])
    assert [(p["name"], p["workplace"]) for p in _search(client, event, "5678")] == [("王坂田", "坂田某物流公司")]


def test_undo_answer_names_the_person_as_given_here(login, client, tree, create_event, create_program):
    event = _pinghu_event_with_bantian_person(tree, create_event, create_program)
    login(tree["org_a"])
    check_in_id = _search(client, event, "5678")[0]["check_in_id"]
    resp = client.post(f"/api/check-ins/{check_in_id}/undo", json={"reason": "点错了"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert "王平湖" in resp.get_json()["message"] and "王坂田" not in resp.get_json()["message"]
