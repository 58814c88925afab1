"""Benchmark: check-ins against the real app under gunicorn, beside a same-run one-insert ceiling.

Prints JSON lines (never asserts times): rate, p50/p99, ratio to the ceiling, server CPU per request, the
load generator's own CPU per request (it shares the machine's cores, so it bounds every rate too), the ratio
to the ceiling in server CPU (`cpu_ratio_to_ceiling`, which that shared cost does not dilute) and worker RSS
for
- 5,000 distinct then 5,000 repeat self check-ins (POST only) at 20 connections, each person on their own
  phone (cookies and form token from one untimed GET first), the repeats from the same phones;
- `ceiling_read`: the repeats' very requests (same phones, forms and cookies) to the ceiling app's `/read`, a
  bare Flask app doing one pooled SELECT by phone. A repeat answers from one read, so none can go faster:
  its `rate_vs_first` (its rate over the first check-ins') is the most `repeat_vs_first` can reach in the run;
  then the same requests to `/noop`, a Flask view that only parses the form (`noop_rate_vs_first`: what a view
  doing nothing at all would reach);
- the double-submit burst (2,000 people each submitting twice at once from their phone, 50 connections) with
  its correctness check;
- `phone_flow`: what a phone does per person, as a new client (no cookies): GET the form, POST it, follow the
  303 to the result page; rate = whole flows per second, p50/p99 of a whole flow;
- `scanner_api`: door staff (one logged-in session per connection, X-CSRFToken as docs/scanner-api.md says)
  scanning the e-tickets of 2,000 people registered for an event that admits registered people only.

The events sit in a district's year so far (`--history`, 20,000 check-ins loaded first, as bench/read_scale.py
loads them; PostgreSQL's tables then analyzed, as autovacuum keeps them in production): on an empty,
never-analyzed database PostgreSQL's lookups read every check-in of the event (see prepare_events).

Run: .venv/bin/python bench/checkin_load.py [--distinct 5000] [--burst 2000] [--phones 2000] [--tickets 2000]
     DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python bench/checkin_load.py
(PostgreSQL: an empty throwaway database; the script creates the tables and a bench_ceiling table.)
See also bench/checkin_dashboards.py (check-ins while dashboards refresh) and bench/export_memory.py.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402  (bench/ is not a package)
    CSRF_FIELD,
    ROOT,
    Phone,
    Setting,
    app_context,
    clean_up,
    count_rows,
    cpu_ratio_to_ceiling,
    csrf_from,
    drive,
    emit,
    measure,
    open_phones,
    people,
    post_as_phones,
    ratio,
    run_ceiling,
    run_read_ceiling,
    setting,
    start_server,
)

# --- What the bench knows about the app: kept here, in one place, because the check-in views are moving. ---
CHECKIN_ENDPOINTS = ("checkin.self_check_in", "checkin_public.self_check_in", "public.self_check_in")
CHECKIN_RULE_FALLBACK = "/c/{code}"
SCANNER_PAGE = "/events/{event}/scanner"  # the page carries <meta name="csrf-token">
SCANNER_SYNC = "/api/events/{event}/sync"
CHECKER, CHECKER_PASSWORD = "bench-door", "scanner-pass-2026"
BENCH = "checkin_load"


def cpu_ratio(first: float | None, repeat: float | None) -> float | None:
    """How many times less server CPU a repeat took than a first check-in (None when a figure was lost)."""
    return round(first / repeat, 2) if first and repeat else None


def checkin_path() -> str:
    """Return the self check-in URL pattern (CODE for the event code): the first endpoint name that exists."""
    from flask import url_for
    from werkzeug.routing import BuildError

    for endpoint in CHECKIN_ENDPOINTS:
        try:
            return url_for(endpoint, code="CODE")
        except BuildError:
            continue
    return CHECKIN_RULE_FALLBACK.format(code="CODE")


# --- the database, prepared with the app's own code ----------------------------------------------------------
def prepare_events(s: Setting, tickets: int, *, history: int = 0, seed: int = 7) -> dict[str, Any]:
    """Create the tables, two open self check-in events and a scanner event, in a district's year so far.

    `history`: check-ins of that year loaded first (bench/read_scale.py's synthetic year: units, 30 programs,
    an event per 50 check-ins, a person per 5), so that the bench's events sit among others as on a real
    event day. On PostgreSQL the tables are then analyzed, as autovacuum keeps them in production. Without
    statistics its planner cannot tell one check_in index from another (every estimate is one row): the
    check-in read then went through the event's index on time and read every check-in of the event, 0.9 ms
    at 2,000 against 0.05 ms analyzed. With history=0 the events get a unit and program of their own.
    The scanner event admits registered people only; `tickets` people register for it through the app's
    own operation (as the public registration page does), and a door-staff user of its street is created.
    """
    import random

    from read_scale import load_year  # imported, never copied

    from eventsvc.checkin.operations import register
    from eventsvc.core.permissions import CHECKER as CHECKER_ROLE
    from eventsvc.core.timeutil import utcnow
    from eventsvc.events.models import REG_ON
    from eventsvc.events.operations import create_event, publish_event
    from eventsvc.extensions import db
    from eventsvc.orgs.models import DISTRICT, STREET, Organization
    from eventsvc.orgs.operations import create_organization, create_user
    from eventsvc.programs.models import Program
    from eventsvc.programs.operations import create_program

    with app_context(s) as ctx:
        db.create_all()
        if history:
            program = db.session.get(Program, load_year(history, random.Random(seed))["program"])
            street = db.session.scalar(db.select(Organization).where(Organization.kind == STREET)
                                       .order_by(Organization.id))
        else:
            root = create_organization("深圳市龙岗区总工会", DISTRICT, None, by=None, short_name="区总工会")
            street = create_organization("平湖街道总工会", STREET, root, by=None, short_name="平湖街道")
            program = create_program(by=None, organization=root, year=utcnow().year, name="压测项目")
        start = utcnow() - timedelta(minutes=10)
        events = []
        for title, extra in (("压测签到", {}), ("压测双击", {}),
                             ("压测扫码", {"registration_mode": REG_ON, "requires_registration": True,
                                          "registration_closes_at": start + timedelta(hours=4)})):
            event = create_event(program, street, by=None, title=title, venue_name="平湖暖蜂驿站",
                                 starts_at=start, ends_at=start + timedelta(hours=4), **extra)
            publish_event(event, by=None)
            db.session.flush()
            events.append(event)
        create_user(CHECKER, CHECKER_PASSWORD, CHECKER_ROLE, street, by=None, display_name="压测核销员")
        db.session.commit()
        started = time.perf_counter()
        scan_event = events[2]
        tokens = []
        for i, form in enumerate(people(tickets, 3)):
            tokens.append(register(scan_event, form, by=None).token)
            if i % 200 == 199:
                db.session.commit()
        db.session.commit()
        registered_s = time.perf_counter() - started
        if history and s.kind == "postgresql":
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
        with ctx.app.test_request_context():
            path = checkin_path()
        out = {"events": [(e.id, e.code) for e in events], "path": path, "tokens": tokens,
               "register_s": round(registered_s, 1)}
        db.session.remove()
        db.engine.dispose()
    return out


# --- phases --------------------------------------------------------------------------------------------------
def phone_flows(url: str, forms: list[dict[str, str]], connections: int, steps: dict[str, int]) -> Any:
    """Each person as a new phone: GET the form (no cookies), POST it, follow the 303; one timing per flow.

    A flow's status is the result page's (200 when it completed); `steps` counts each step's statuses.
    """
    def note(step: str, status: int) -> int:
        steps[f"{step} {status}"] = steps.get(f"{step} {status}", 0) + 1
        return status

    async def setup(_c: Any) -> None:
        return None

    async def step(c: Any, _state: None, form: dict[str, str]) -> int:
        c.cookies.clear()  # a new phone: no session, no remembered device
        page = await c.get(url)
        note("GET form", page.status_code)
        token = csrf_from(page.text)
        resp = await c.post(url, data={**form, **({CSRF_FIELD: token} if token else {})})
        if note("POST", resp.status_code) != 303:
            return int(resp.status_code)
        done = await c.get(urljoin(url, resp.headers["location"]))
        return note("GET result", int(done.status_code))

    return drive(forms, connections, setup, step, requests_per_item=3)


def scanner_scans(base: str, event_id: int, tokens: list[str], connections: int, outcomes: dict[str, int]) -> Any:
    """Door staff scanning e-tickets: a logged-in session per connection, one scan per sync (as the page)."""
    from _common import login

    async def setup(c: Any) -> dict[str, str]:
        await login(c, base, CHECKER, CHECKER_PASSWORD)
        token = csrf_from((await c.get(base + SCANNER_PAGE.format(event=event_id))).text)
        if not token:
            raise SystemExit("the scanner page carries no CSRF token")
        return {"X-CSRFToken": token}

    async def step(c: Any, headers: dict[str, str], ticket: str) -> int:
        scan = {"client_scan_id": uuid.uuid4().hex, "code": f"{base}/t/{ticket}", "mode": "in",
                "scanned_at": int(time.time() * 1000)}
        resp = await c.post(base + SCANNER_SYNC.format(event=event_id), json={"scans": [scan]}, headers=headers)
        if resp.status_code == 200:
            for result in resp.json().get("results", []):
                outcomes[result.get("outcome", "?")] = outcomes.get(result.get("outcome", "?"), 0) + 1
        return int(resp.status_code)

    return drive(tokens, connections, setup, step)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--distinct", type=int, default=5000)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--burst-connections", type=int, default=50)
    parser.add_argument("--phones", type=int, default=2000, help="people in the phone_flow phase (0: skip)")
    parser.add_argument("--tickets", type=int, default=2000, help="e-tickets in the scanner_api phase (0: skip)")
    parser.add_argument("--history", type=int, default=20000,
                        help="check-ins of the year loaded before the events (0: an empty database)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, SQLite file)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="evs-bench-"))
    s = setting(tmp)
    kind, conn = s.kind, args.connections
    servers = []
    try:
        setup = prepare_events(s, args.tickets, history=args.history)
        (main_id, main_code), (burst_id, burst_code), (scan_id, _) = setup["events"]

        top = run_ceiling(s, args.distinct, conn)
        emit(BENCH, db=kind, phase="ceiling_insert", connections=conn, **top)
        rate0, cpu0 = top["rate_per_s"], top["server_cpu_ms_per_req"]

        # ~30 k requests in all, unevenly shared: a worker passing max_requests (20,000) mid-phase is replaced
        # (~1 s of CPU) and that phase's CPU figure is lost, so the bench raises it (the ceiling never gets near).
        app = start_server("app", "wsgi:app", ROOT, {**s.env, "GUNICORN_CMD_ARGS": "--max-requests 100000"}, tmp)
        servers.append(app)
        url = app.base + setup["path"].replace("CODE", main_code)
        # Every person on their own phone, which opened the form first (not timed): one phone submitting
        # hundreds of people would be held for review (PENDING_DEVICE_LIMIT), which is not the common path.
        phones = [Phone(f) for f in people(args.distinct, 0)]
        warm = [Phone(f) for f in people(200, 9)]
        for group in (warm, phones):
            asyncio.run(open_phones(url, group, conn))
        measure(app, lambda: post_as_phones(url, warm, conn))  # warm up: imports, templates, pools
        first = measure(app, lambda: post_as_phones(url, phones, conn))
        emit(BENCH, db=kind, phase="self_checkin_first", connections=conn, **first,
             ratio_to_ceiling=ratio(first["rate_per_s"], rate0),
             cpu_ratio_to_ceiling=cpu_ratio_to_ceiling(first["server_cpu_ms_per_req"], cpu0))
        repeat = measure(app, lambda: post_as_phones(url, phones, conn))  # the same phones again
        # The same phones' requests to a bare Flask app doing one SELECT: what no repeat can beat here.
        read = run_read_ceiling(s, phones, conn)
        emit(BENCH, db=kind, phase="ceiling_read", connections=conn, **read,
             ratio_to_ceiling=ratio(read["rate_per_s"], rate0),
             rate_vs_first=round((read["rate_per_s"] or 0) / (first["rate_per_s"] or 1), 2),
             noop_rate_vs_first=round((read["noop_rate_per_s"] or 0) / (first["rate_per_s"] or 1), 2))
        emit(BENCH, db=kind, phase="self_checkin_repeat", connections=conn, **repeat,
             ratio_to_ceiling=ratio(repeat["rate_per_s"], rate0),
             ratio_to_read_ceiling=ratio(repeat["rate_per_s"], read["rate_per_s"]),
             cpu_ratio_to_ceiling=cpu_ratio_to_ceiling(repeat["server_cpu_ms_per_req"], cpu0),
             repeat_vs_first=round((repeat["rate_per_s"] or 0) / (first["rate_per_s"] or 1), 2),
             # The same comparison in the servers' CPU per request, which the load generator's own cost
             # (client_cpu_ms_per_req, on the same cores) does not dilute.
             repeat_vs_first_cpu=cpu_ratio(first["server_cpu_ms_per_req"], repeat["server_cpu_ms_per_req"]))
        stored = count_rows(s.database_url, "SELECT COUNT(*) FROM check_in WHERE event_id = :e", e=main_id)
        emit(BENCH, db=kind, phase="after_write_loads", check_ins_stored=stored, expected=args.distinct + len(warm),
             worker_rss_mb=app.worker_rss_mb(), ceiling_worker_rss_mb=top["worker_rss_mb"])

        burst_url = app.base + setup["path"].replace("CODE", burst_code)
        burst_phones = [Phone(f) for f in people(args.burst, 1)]
        asyncio.run(open_phones(burst_url, burst_phones, conn))
        twice = [p for p in burst_phones for _ in range(2)]  # each phone submits twice, back to back
        burst = measure(app, lambda: post_as_phones(burst_url, twice, args.burst_connections))
        got = count_rows(s.database_url, "SELECT COUNT(*) FROM check_in WHERE event_id = :e", e=burst_id)
        emit(BENCH, db=kind, phase="double_submit_burst", connections=args.burst_connections, **burst,
             check_ins_stored=got, expected=args.burst, correct=got == args.burst and burst["5xx"] == 0)

        if args.phones:
            before = stored
            steps: dict[str, int] = {}
            flows = measure(app, lambda: phone_flows(url, people(args.phones, 2), conn, steps))
            stored = count_rows(s.database_url, "SELECT COUNT(*) FROM check_in WHERE event_id = :e", e=main_id)
            rate = flows.pop("rate_per_s")
            per_req = flows["server_cpu_ms_per_req"]
            per_flow = round(per_req * 3, 2) if per_req is not None else None
            emit(BENCH, db=kind, phase="phone_flow", connections=conn, flows=flows.pop("requests"),
                 flows_per_s=rate, ratio_to_ceiling=ratio(rate, rate0), **flows,
                 cpu_ratio_to_ceiling=cpu_ratio_to_ceiling(per_flow, cpu0),
                 server_cpu_ms_per_flow=per_flow, steps=steps,
                 check_ins_added=stored - before, expected=args.phones)

        if args.tickets:
            outcomes: dict[str, int] = {}
            scans = measure(app, lambda: scanner_scans(app.base, scan_id, setup["tokens"], conn, outcomes))
            got = count_rows(s.database_url, "SELECT COUNT(*) FROM check_in WHERE event_id = :e", e=scan_id)
            emit(BENCH, db=kind, phase="scanner_api", connections=conn, tickets=args.tickets,
                 registered_in_s=setup["register_s"], **scans, ratio_to_ceiling=ratio(scans["rate_per_s"], rate0),
                 cpu_ratio_to_ceiling=cpu_ratio_to_ceiling(scans["server_cpu_ms_per_req"], cpu0),
                 outcomes=outcomes, check_ins_stored=got, expected=args.tickets,
                 correct=got == args.tickets and scans["5xx"] == 0 and outcomes.get("success") == args.tickets)

        emit(BENCH, db=kind, phase="after_all_loads", worker_rss_mb=app.worker_rss_mb(),
             workers_started=app.boots(), ceiling_worker_rss_mb=top["worker_rss_mb"])
    finally:
        clean_up(s, servers, tmp, keep=args.keep)


if __name__ == "__main__":
    main()
