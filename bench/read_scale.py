"""Benchmark: read pages at a year's scale. Bulk-loads synthetic years, then times the pages staff open.

For each size (check-ins in the year) the database is filled with plain batched INSERTs: ~N/50 events and
~N/5 people (1 M check-ins: 20 k events, 200 k people), 30 programs, 11 streets with communities; one big
event holds min(5 000, N/10) check-ins for its roster. The maintained counts (which the dashboard and
program pages read) are then rebuilt from those rows, as `flask counts rebuild` does. Then, logged in as the
district admin through the Flask test client, it prints JSON lines with p50/p99 of the dashboard, a program
page, the program list, an event page, the roster PDF and the program xlsx. It never asserts times.

Run: .venv/bin/python bench/read_scale.py [--sizes 10000,100000,1000000] [--reps 15]
     DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python bench/read_scale.py --drop
(PostgreSQL: the tables of that database are dropped and recreated for every size, hence --drop.)
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The pages timed, by path; {program} and {event} are filled in. Kept here: views are being reorganized.
PAGES = {
    "dashboard": "/",
    "program_page": "/programs/{program}",
    "program_list": "/programs",
    "event_page": "/events/{event}",
    "roster_pdf": "/events/{event}/roster.pdf",
    "program_xlsx": "/programs/{program}/ledger.xlsx",
}
SLOW_PAGES = {"roster_pdf", "program_xlsx"}  # fewer repetitions
STREETS = ["平湖", "坂田", "布吉", "南湾", "横岗", "园山", "龙城", "龙岗", "宝龙", "坪地", "吉华"]
GROUPS = ["外卖员", "快递员", "网约车司机", "货车司机", "家政服务员", "环卫工人", "建筑工人", "企业职工"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
BATCH = 10_000
ADMIN, PASSWORD = "benchadmin", "bench-password-1"


def emit(**fields: Any) -> None:
    print(json.dumps({"bench": "read_scale", **fields}, ensure_ascii=False), flush=True)


def _batches(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [rows[i:i + BATCH] for i in range(0, len(rows), BATCH)]


def load_year(n_checkins: int, rng: random.Random) -> dict[str, Any]:
    """Fill an empty schema with one synthetic year; return the ids the pages need."""
    from sqlalchemy import insert

    from eventsvc.checkin.models import SELF_SCAN, STAFF_SCAN, CheckIn, Participant
    from eventsvc.core.timeutil import utcnow
    from eventsvc.events.models import CANCELLED, PUBLISHED, Event
    from eventsvc.extensions import db
    from eventsvc.orgs.models import DISTRICT, FEDERATION, STREET
    from eventsvc.orgs.operations import create_organization, create_user
    from eventsvc.programs.models import ATTENDANCES, SESSIONS
    from eventsvc.programs.operations import TargetSpec, create_program
    from eventsvc.progress.counters import rebuild

    now = utcnow()
    year_start = datetime(now.year, 1, 1)
    span = max(1.0, (now - timedelta(days=1) - year_start).total_seconds())
    root = create_organization("深圳市龙岗区总工会", DISTRICT, None, by=None, short_name="区总工会")
    orgs = []
    for s in STREETS:
        street = create_organization(f"{s}街道总工会", STREET, root, by=None, short_name=f"{s}街道")
        orgs.append(street)
        orgs += [create_organization(f"{s}第{i}社区工联会", FEDERATION, street, by=None) for i in range(1, 4)]
    create_user(ADMIN, PASSWORD, "admin", root, by=None)
    n_events = max(20, n_checkins // 50)
    n_people = max(500, n_checkins // 5)
    programs = [create_program(by=None, organization=root, year=now.year, name=f"工作要点第{i + 1}项",
                               targets=[TargetSpec(SESSIONS, n_events // 20),
                                        TargetSpec(ATTENDANCES, n_checkins // 25)])
                for i in range(30)]
    db.session.commit()
    org_ids = [o.id for o in orgs]
    program_ids = [p.id for p in programs]

    started = time.perf_counter()
    events = []
    for i in range(n_events):
        starts = year_start + timedelta(seconds=rng.uniform(0, span))
        events.append({
            "code": f"b{i:011d}", "program_id": program_ids[0] if i == 0 else rng.choice(program_ids),
            "organization_id": rng.choice(org_ids), "title": f"服务活动第{i}场", "starts_at": starts,
            "ends_at": starts + timedelta(hours=2), "venue_name": f"{rng.choice(STREETS)}暖蜂驿站",
            "status": CANCELLED if i and i % 97 == 0 else PUBLISHED, "published_at": starts - timedelta(days=3),
        })
    for chunk in _batches(events):
        db.session.execute(insert(Event.__table__), chunk)
    people = [{"phone": f"13{i:09d}", "name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
               "workplace": f"{rng.choice(STREETS)}街道{rng.choice(['美团', '顺丰', '京东', '环卫所'])}站点",
               "group": rng.choice(GROUPS)} for i in range(n_people)]
    for chunk in _batches(people):
        db.session.execute(insert(Participant.__table__), [
            {"phone": p["phone"], "name": p["name"], "workplace": p["workplace"], "group_label": p["group"]}
            for p in chunk])
    db.session.flush()
    event_rows = db.session.execute(db.select(Event.id, Event.starts_at).order_by(Event.id)).all()
    person_ids = list(db.session.scalars(db.select(Participant.id).order_by(Participant.id)))
    big = min(5000, n_checkins // 10)
    per_event = max(1, (n_checkins - big) // max(1, len(event_rows) - 1))
    pending: list[dict[str, Any]] = []
    total = 0
    for index, (event_id, starts) in enumerate(event_rows):
        k = big if index == 0 else min(per_event, n_checkins - total)
        if k <= 0:
            break
        for j, pid in enumerate(rng.sample(person_ids, min(k, len(person_ids)))):
            # 4 in 5 from the worker's own phone, whose device hash the row keeps as a real one does: with every
            # hash empty, PostgreSQL's statistics made it plan the check-in read afresh on every run.
            own_phone = j % 5 != 0
            pending.append({"event_id": event_id, "participant_id": pid,
                            "method": SELF_SCAN if own_phone else STAFF_SCAN,
                            "device_hash": f"{pid:032x}" if own_phone else "",
                            "checked_in_at": starts + timedelta(seconds=j * 3)})
        total += k
        if len(pending) >= BATCH:
            db.session.execute(insert(CheckIn.__table__), pending)
            pending = []
    if pending:
        db.session.execute(insert(CheckIn.__table__), pending)
    rebuild()  # plain INSERTs bypass the maintained counts the pages read: fill them like `flask counts rebuild`
    db.session.commit()
    return {"program": program_ids[0], "event": event_rows[0][0], "events": n_events, "people": n_people,
            "check_ins": total, "load_s": round(time.perf_counter() - started, 1)}


def time_pages(app: Any, ids: dict[str, Any], reps: int) -> None:
    from eventsvc.extensions import db

    client = app.test_client()
    resp = client.post("/login", data={"username": ADMIN, "password": PASSWORD})
    if resp.status_code != 302:
        raise SystemExit(f"login failed: {resp.status_code}")
    for name, pattern in PAGES.items():
        path = pattern.format(program=ids["program"], event=ids["event"])
        client.get(path)  # warm: templates, font registration, statement caches
        samples, statuses, size = [], set(), 0
        for _ in range(max(3, reps // 5) if name in SLOW_PAGES else reps):
            started = time.perf_counter()
            resp = client.get(path)
            size = len(resp.get_data())
            samples.append(time.perf_counter() - started)
            statuses.add(resp.status_code)
            resp.close()
            db.session.remove()
        samples.sort()
        emit(db=ids["db"], check_ins=ids["check_ins"], page=name, path=path, runs=len(samples),
             p50_ms=round(1000 * statistics.median(samples), 1),
             p99_ms=round(1000 * samples[min(len(samples) - 1, int(len(samples) * 0.99))], 1),
             status=sorted(statuses), bytes=size)


def run_size(n: int, database_url: str, reps: int, seed: int) -> None:
    from eventsvc import create_app
    from eventsvc.extensions import db

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.drop_all()
        db.create_all()
        ids = load_year(n, random.Random(seed))
        ids["db"] = "postgresql" if database_url.startswith("postgresql") else "sqlite"
        if ids["db"] == "postgresql":
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
        emit(db=ids["db"], phase="loaded", **{k: v for k, v in ids.items() if k != "db"})
        time_pages(app, ids, reps)
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="check-ins per synthetic year, comma separated")
    parser.add_argument("--reps", type=int, default=15, help="requests per page (reports: a fifth, at least 3)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--drop", action="store_true", help="allow dropping the tables of DATABASE_URL")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    external = os.environ.get("DATABASE_URL", "")
    if external and not args.drop:
        raise SystemExit("DATABASE_URL is set: its tables are dropped for every size; pass --drop to agree")
    with tempfile.TemporaryDirectory(prefix="evs-read-") as tmp:
        for n in sizes:
            url = external or f"sqlite:///{Path(tmp) / f'year-{n}.sqlite3'}"
            run_size(n, url, args.reps, args.seed)
            if not external:
                (Path(tmp) / f"year-{n}.sqlite3").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
