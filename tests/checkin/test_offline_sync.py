"""Offline sync: resent batches and concurrent scans never count twice, and nothing is lost."""
from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from eventsvc.checkin.models import CheckIn, ScanRecord
from eventsvc.checkin.operations import Scan, ScanRaced, process_scan, register, sync_scans
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.orgs.models import User


def person(n: int) -> dict[str, str]:
    return {"name": f"离线职工{n}", "phone": f"1360000{n:04d}"}


@pytest.fixture
def setup(create_event, create_program, tree):  # type: ignore[no-untyped-def]
    program = create_program(org=tree["a"])
    event = create_event(program=program, org=tree["a"], starts_in=timedelta(minutes=30), registration_mode="on")
    regs = [register(event, person(i), by=None) for i in range(5)]
    db.session.commit()
    return {"event": event, "regs": regs, "tree": tree}


def count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count(model.id))) or 0


def test_same_batch_sent_twice_adds_nothing_the_second_time(login, client, setup):
    event, regs = setup["event"], setup["regs"]
    login(setup["tree"]["checker_a"])
    batch = [{"client_scan_id": str(uuid.uuid4()), "code": r.token, "mode": "in"} for r in regs[:3]]
    batch.append({"client_scan_id": str(uuid.uuid4()), "code": regs[0].token, "mode": "in"})  # scanned twice
    batch.append({"client_scan_id": str(uuid.uuid4()), "person": {"name": "现场", "phone": "13611112222"}})

    first = client.post(f"/api/events/{event.id}/sync", json={"scans": batch}).get_json()
    assert [r["outcome"] for r in first["results"]] == ["success", "success", "success", "already", "success"]
    assert first["stats"]["checked_in"] == 4 and count(CheckIn) == 4 and count(ScanRecord) == 5

    again = client.post(f"/api/events/{event.id}/sync", json={"scans": batch}).get_json()
    assert [r["outcome"] for r in again["results"]] == [r["outcome"] for r in first["results"]]
    assert all(r["replayed"] for r in again["results"])
    assert again["stats"]["checked_in"] == 4 and count(CheckIn) == 4 and count(ScanRecord) == 5
    attempts = db.session.scalars(select(ScanRecord.attempts)).all()
    assert sorted(attempts) == [2, 2, 2, 2, 2]


def test_a_lost_response_then_a_partial_resend_loses_nothing(setup):
    event, regs, checker = setup["event"], setup["regs"], setup["tree"]["checker_a"]
    scans = [Scan(f"dev1-{i:04d}", code=r.token) for i, r in enumerate(regs)]
    sync_scans(event, scans[:2], by=checker)
    db.session.commit()
    # The device never heard back, so it resends everything it still holds.
    results = sync_scans(event, scans, by=checker)
    db.session.commit()
    assert [r.replayed for r in results] == [True, True, False, False, False]
    assert count(CheckIn) == 5


def test_scan_id_from_another_event_is_not_replayed_into_this_one(setup, create_event):
    event, regs, tree = setup["event"], setup["regs"], setup["tree"]
    other = create_event(org=tree["a"], registration_mode="on", starts_in=timedelta(minutes=30))
    process_scan(event, Scan("shared-id-0001", code=regs[0].token), by=tree["checker_a"])
    answer = process_scan(other, Scan("shared-id-0001", code=regs[0].token), by=tree["checker_a"])
    assert answer.code == "scan_id_conflict" and answer.participant_id is None and count(CheckIn) == 1


def test_bad_scan_ids_are_refused_not_stored(login, client, setup):
    event, reg = setup["event"], setup["regs"][0]
    login(setup["tree"]["checker_a"])
    scans = [{"client_scan_id": "", "code": reg.token}, "junk"]
    results = client.post(f"/api/events/{event.id}/sync", json={"scans": scans}).get_json()["results"]
    assert [r["code"] for r in results] == ["bad_scan", "bad_scan"]
    assert count(CheckIn) == 0 and count(ScanRecord) == 0


def _parallel(app, n: int, work) -> list[BaseException]:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                work(i)
                db.session.commit()
            except BaseException as exc:  # noqa: BLE001  (reported to the test)
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_two_devices_scanning_one_ticket_count_once(app, setup):
    event_id, token = setup["event"].id, setup["regs"][0].token
    checker_ids = [setup["tree"]["checker_a"].id, setup["tree"]["org_a"].id]
    outcomes: list[str] = []

    def work(i: int) -> None:
        event = db.session.get(Event, event_id)
        by = db.session.get(User, checker_ids[i % 2])
        outcomes.append(process_scan(event, Scan(f"device{i}-{uuid.uuid4()}", code=token), by=by).outcome.value)

    assert _parallel(app, 6, work) == []
    assert sorted(outcomes) == ["already"] * 5 + ["success"]
    assert count(CheckIn) == 1 and count(ScanRecord) == 6


def test_the_same_scan_id_arriving_twice_at_once_is_stored_once(app, setup):
    event_id, token, checker_id = setup["event"].id, setup["regs"][1].token, setup["tree"]["checker_a"].id
    outcomes: list[str] = []

    def work(i: int) -> None:
        for attempt in (1, 2):  # as the sync view does: a scan id met mid-decision means roll back, apply again
            event = db.session.get(Event, event_id)
            by = db.session.get(User, checker_id)
            try:
                outcomes.append(process_scan(event, Scan("retry-race-0001", code=token), by=by).outcome.value)
                return
            except ScanRaced:
                db.session.rollback()
                assert attempt == 1, "the second attempt replays the stored answer"

    assert _parallel(app, 4, work) == []
    assert set(outcomes) == {"success"}  # every caller gets the one stored answer
    assert count(CheckIn) == 1 and count(ScanRecord) == 1
    assert db.session.scalar(select(ScanRecord.attempts)) == 4
