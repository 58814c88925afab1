"""Station visits: once per person per station per local day, again the next day, counted in program figures."""
from __future__ import annotations

import threading
from datetime import UTC, datetime

import time_machine
from sqlalchemy import func, select

from eventsvc.checkin.models import Participant
from eventsvc.extensions import db
from eventsvc.programs.models import ATTENDANCES, PARTICIPANTS
from eventsvc.programs.operations import TargetSpec
from eventsvc.progress.queries import totals_by_program, totals_by_subtree
from eventsvc.stations.models import StationVisit
from eventsvc.stations.operations import record_visit
from eventsvc.stations.queries import month_figures, monthly_counts

PERSON = {"name": "王小明", "phone": "13800138000", "workplace": "美团配送", "group": "外卖员", "consent": "y"}


def _visits() -> int:
    return db.session.scalar(select(func.count(StationVisit.id))) or 0


def test_second_scan_same_day_says_already_and_stores_nothing(client, tree, make_station):
    station = make_station(tree["a"])
    first = client.post(f"/s/{station.code}", data={**PERSON, "services": ["饮用水", "不存在的服务"]},
                        follow_redirects=True)
    assert "登记成功" in first.get_data(as_text=True)
    again = client.get(f"/s/{station.code}")  # the remembered phone: answered from the cookie
    assert "今天已登记" in again.get_data(as_text=True)
    # A second phone typing the same number the same day: the same answer, nothing stored.
    resp = client.application.test_client().post(f"/s/{station.code}", data=PERSON, follow_redirects=True)
    assert "今天已登记" in resp.get_data(as_text=True)
    assert _visits() == 1
    visit = db.session.scalar(select(StationVisit))
    assert visit.service_list == ["饮用水"]  # only services the station offers are kept


def test_new_worker_must_consent_and_give_valid_phone(client, tree, make_station):
    station = make_station(tree["a"])
    resp = client.post(f"/s/{station.code}", data={**PERSON, "consent": ""})
    assert resp.status_code == 200 and "请阅读并同意" in resp.get_data(as_text=True)
    resp = client.post(f"/s/{station.code}", data={**PERSON, "phone": "12345"})
    assert "手机号" in resp.get_data(as_text=True)
    assert _visits() == 0
    assert client.get("/s/nosuchcode").status_code == 404


def test_concurrent_double_submits_leave_one_row(app, tree, make_station):
    code = make_station(tree["a"]).code
    n = 8
    barrier = threading.Barrier(n)
    statuses: list[int] = []

    def post() -> None:
        c = app.test_client()
        barrier.wait()
        statuses.append(c.post(f"/s/{code}", data=PERSON).status_code)

    threads = [threading.Thread(target=post) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(s in (200, 303) for s in statuses), statuses
    assert _visits() == 1
    assert db.session.scalar(select(func.count(Participant.id))) == 1


def test_a_new_local_day_counts_again(app, tree, make_station, create_participant):
    station = make_station(tree["a"])
    person = create_participant(phone="13800138001")
    # 23:30 in Shenzhen (15:30 UTC) and 00:10 the next local day (16:10 UTC): two days, two visits.
    with time_machine.travel(datetime(2026, 5, 4, 15, 30, tzinfo=UTC), tick=False):
        assert record_visit(station, person, by=None).created
        assert not record_visit(station, person, by=None).created
        db.session.commit()
    with time_machine.travel(datetime(2026, 5, 4, 16, 10, tzinfo=UTC), tick=False):
        assert record_visit(station, person, by=None).created
        db.session.commit()
    assert _visits() == 2
    days = sorted(v.visit_date.isoformat() for v in db.session.scalars(select(StationVisit)))
    assert days == ["2026-05-04", "2026-05-05"]


def test_visits_count_in_program_figures_with_their_label(app, tree, make_station, create_program,
                                                          create_participant, create_event, create_check_in, login):
    program = create_program(org=tree["a"], name="新就业形态劳动者关爱服务", year=2026,
                             targets=[TargetSpec(ATTENDANCES, 100), TargetSpec(PARTICIPANTS, 10)])
    event = create_event(program=program)
    create_check_in(event)
    station = make_station(tree["a"], program=program, year=2026)
    people = [create_participant() for _ in range(3)]
    with time_machine.travel(datetime(2026, 3, 2, 2, 0, tzinfo=UTC), tick=False):
        for p in people:
            record_visit(station, p, by=None)
    with time_machine.travel(datetime(2026, 3, 3, 2, 0, tzinfo=UTC), tick=False):
        record_visit(station, people[0], by=None)
    with time_machine.travel(datetime(2025, 12, 31, 2, 0, tzinfo=UTC), tick=False):
        record_visit(station, people[1], by=None)  # 2025: no program chosen for that year
    db.session.commit()

    totals = totals_by_program([program.id])[program.id]
    assert (totals.checkins, totals.stations, totals.attendances) == (1, 4, 5)
    assert totals.participants == 1 + 3
    rolled = totals_by_subtree([tree["root"].id], program_ids=[program.id])[tree["root"].id]
    assert rolled.stations == 4

    page = login(tree["org_a"]).get(f"/programs/{program.id}").get_data(as_text=True)
    assert "驿站服务 4" in page
    assert "平湖暖蜂驿站" in page  # the program page lists its stations beside the events


def test_counts_per_month_equal_raw_rows(app, tree, make_station, create_participant):
    station = make_station(tree["a"])
    people = [create_participant() for _ in range(4)]
    moments = [datetime(2026, 1, 5, 1), datetime(2026, 1, 5, 3), datetime(2026, 1, 20, 9),
               datetime(2026, 2, 1, 1), datetime(2026, 2, 28, 10), datetime(2026, 3, 31, 15, 59)]
    for i, at in enumerate(moments):
        record_visit(station, people[i % 4], by=None, at=at)
    db.session.commit()
    raw: dict[int, int] = {}
    for v in db.session.scalars(select(StationVisit)):
        raw[v.visit_date.month] = raw.get(v.visit_date.month, 0) + 1
    counts = monthly_counts(station, 2026)
    assert {m: n for m, (n, _) in counts.items()} == raw == {1: 3, 2: 2, 3: 1}
    january = month_figures(station, 2026, 1)
    assert january.total == 3 and january.people == 3
    assert sum(january.hours.values()) == 3
    assert january.busiest[0] == (9, 1) or january.busiest[0][1] == 1


def test_staff_log_visit_and_bulk_supply(client, tree, make_station, login):
    station = make_station(tree["a"])
    c = login(tree["checker_a"])
    resp = c.post(f"/stations/{station.id}/visits", data={"name": "李阿姨", "phone": "13900139000", "group": "环卫工人",
                                                          "services": ["饮用水"]}, follow_redirects=True)
    assert "已登记" in resp.get_data(as_text=True)
    resp = c.post(f"/stations/{station.id}/visits", data={"name": "李阿姨", "phone": "13900139000"},
                  follow_redirects=True)
    assert "今天已登记" in resp.get_data(as_text=True)
    resp = c.post(f"/stations/{station.id}/supplies", data={"label": "饮用水", "quantity": "120", "unit": "瓶"},
                  follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "饮用水：120 瓶" in page
    assert c.post(f"/stations/{station.id}/supplies", data={"label": "饮用水", "quantity": "-3"}).status_code == 400
    assert _visits() == 1
    # Street B's staff cannot see street A's station; a viewer cannot log visits.
    assert login(tree["org_b"]).get(f"/stations/{station.id}").status_code == 404
    assert login(tree["viewer_a"]).post(f"/stations/{station.id}/visits", data={}).status_code == 403


def test_station_list_create_edit_and_downloads(client, tree, login, create_program):
    program = create_program(org=tree["a"], year=2026)
    c = login(tree["org_a"])
    resp = c.post("/stations/new", data={"organization_id": tree["a"].id, "name": "坂田爱心角", "kind": "爱心角",
                                         "services": "休息\n充电", "program_id": program.id, "is_active": "y"})
    assert resp.status_code == 302
    station_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    assert "坂田爱心角" in c.get("/stations?q=爱心").get_data(as_text=True)
    assert "坂田爱心角" not in c.get("/stations?q=不存在").get_data(as_text=True)
    empty = {"organization_id": tree["a"].id, "name": "", "kind": "爱心角"}
    assert c.post("/stations/new", data=empty).status_code == 400
    resp = c.post(f"/stations/{station_id}/edit", data={"organization_id": tree["a"].id, "name": "坂田爱心角（新）",
                                                        "kind": "爱心角", "services": "休息", "program_id": 0,
                                                        "is_active": "y"})
    assert resp.status_code == 302
    for url in (f"/stations/{station_id}/visits.xlsx?month=2026-05", f"/stations/{station_id}/report.pdf",
                f"/stations/{station_id}/poster.pdf?size=a6&shape=sticker", f"/stations/{station_id}/poster.pdf"):
        got = c.get(url)
        assert got.status_code == 200 and len(got.data) > 500, url
    assert c.get(f"/stations/{station_id}/poster.pdf?size=a3").status_code == 400
    from eventsvc.audit.models import AuditEntry

    actions = {a for (a,) in db.session.execute(select(AuditEntry.action))}
    assert {"station.create", "station.update", "station.program"} <= actions
