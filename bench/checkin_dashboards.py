"""Benchmark: self check-ins while district users keep the dashboard open, on a database holding a year.

The database first holds a synthetic year (bench/read_scale.py's `load_year`: plain SQL bulk inserts, then the
maintained counts rebuilt; --year-size check-ins, default 100,000). Then, against the app under gunicorn
(production config, 2 workers x 4 threads), beside a same-run one-insert ceiling:
- `checkin_alone`: N distinct self check-ins (POST only, 20 connections);
- `checkin_with_dashboards`: N more while --dashboard-users district users (logged in through the login form,
  each its own connection) keep the dashboard `/` open: the page once, then its refresh URL (what
  static/dashboard.js fetches) every --dashboard-interval seconds, on a fixed beat like setInterval (default 5 s,
  stricter than the page's own 30 s so that the run sees enough loads).
Prints JSON lines: both rates, the drop in %, the server's CPU per check-in with the dashboards against alone
(steadier than the rates when the machine's speed moves), the dashboards' p50/p99. Never asserts times.
--rounds N alternates N alone/with pairs (fresh people each). The summary pools them: all the check-ins alone
against all those with the dashboards (same count in each), and every dashboard load, so that a machine phase
that speeds up or slows down one half of a pair weighs less than in any single pair's drop.

Run: .venv/bin/python bench/checkin_dashboards.py [--year-size 100000] [--distinct 5000] [--dashboard-interval 5]
     DATABASE_URL=postgresql+psycopg://… .venv/bin/python bench/checkin_dashboards.py --drop
(PostgreSQL: the tables of that database are dropped and recreated, hence --drop.)
"""
from __future__ import annotations

import argparse
import asyncio
import html
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402  (bench/ is not a package)
    ROOT,
    Outcome,
    Phone,
    Setting,
    app_context,
    clean_up,
    client,
    count_rows,
    emit,
    login,
    measure,
    open_phones,
    people,
    post_as_phones,
    ratio,
    run_ceiling,
    setting,
    start_server,
)
from checkin_load import checkin_path  # noqa: E402

BENCH = "checkin_dashboards"
DASHBOARD = "/"
USER_PASSWORD = "dashboard-pass-2026"
_REFRESH = re.compile(r'data-refresh-url="([^"]+)"')


def prepare(s: Setting, year_size: int, users: int, seed: int) -> dict[str, Any]:
    """Load a synthetic year, then add an event open for check-in now and the district users."""
    from read_scale import load_year  # the other engineer's loader: imported, never copied

    from eventsvc.core.permissions import ADMIN, ORGANIZER, VIEWER
    from eventsvc.core.timeutil import utcnow
    from eventsvc.events.operations import create_event, publish_event
    from eventsvc.extensions import db
    from eventsvc.orgs.models import DISTRICT, STREET, Organization
    from eventsvc.orgs.operations import create_user
    from eventsvc.programs.models import Program

    with app_context(s) as ctx:
        db.drop_all()
        db.create_all()
        loaded = load_year(year_size, random.Random(seed))
        root = db.session.scalar(db.select(Organization).where(Organization.kind == DISTRICT))
        street = db.session.scalar(db.select(Organization).where(Organization.kind == STREET).order_by(Organization.id))
        program = db.session.get(Program, loaded["program"])
        start = utcnow() - timedelta(minutes=10)
        event = create_event(program, street, by=None, title="年度压测签到", venue_name="平湖暖蜂驿站",
                             starts_at=start, ends_at=start + timedelta(hours=4))
        publish_event(event, by=None)
        roles = (ADMIN, ORGANIZER, VIEWER, VIEWER)
        names = [f"bench-district-{i}" for i in range(users)]
        for i, name in enumerate(names):
            create_user(name, USER_PASSWORD, roles[i % len(roles)], root, by=None, display_name=f"区总工会{i}")
        db.session.commit()
        if s.kind == "postgresql":
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
        with ctx.app.test_request_context():
            path = checkin_path().replace("CODE", event.code)
        out = {"loaded": loaded, "event": event.id, "path": path, "users": names}
        db.session.remove()
        db.engine.dispose()
    return out


@dataclass
class Dashboards:
    """What the dashboard users saw: each load's time and status, split by when it started."""

    interval: float
    initial: list[float] = field(default_factory=list)  # the full page, opened before the check-ins start
    initial_statuses: dict[int, int] = field(default_factory=dict)
    during: list[float] = field(default_factory=list)  # loads started while the check-ins ran
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    retried: int = 0  # a refresh sent on a kept-alive connection the server had just closed, sent again
    overlapped: int = 0  # refreshes started while the previous one of the same user was still running

    def figures(self) -> dict[str, Any]:
        lat = sorted(self.during)
        n = len(lat)
        return {
            "dashboard_loads": n, "dashboard_interval_s": self.interval,
            "dashboard_p50_ms": round(1000 * statistics.median(lat), 1) if lat else None,
            "dashboard_p99_ms": round(1000 * lat[min(n - 1, int(n * 0.99))], 1) if lat else None,
            "dashboard_max_ms": round(1000 * lat[-1], 1) if lat else None,
            "dashboard_first_page_ms": [round(1000 * x, 1) for x in self.initial],
            "dashboard_first_page_status": {str(k): v for k, v in sorted(self.initial_statuses.items())},
            "dashboard_status": {str(k): v for k, v in sorted(self.statuses.items())},
            "dashboard_errors": self.errors, "dashboard_retried": self.retried,
            "dashboard_overlapped": self.overlapped,
        }


def refresh_url(base: str, page: str) -> str:
    """The URL the dashboard page's script refreshes from (the page itself if it names none)."""
    match = _REFRESH.search(page)
    return base + (html.unescape(match.group(1)) if match else DASHBOARD)


async def keep_open(base: str, users: list[str], index: int, seen: Dashboards, opened: asyncio.Event,
                    stop: asyncio.Event, ready: list[str]) -> None:
    """One user: log in, open the dashboard, then fetch its refresh URL every interval until told to stop."""
    import httpx

    c = client()
    pending: set[asyncio.Task[None]] = set()
    try:
        await login(c, base, users[index], USER_PASSWORD)
        started = time.perf_counter()
        page = await c.get(base + DASHBOARD)
        seen.initial.append(time.perf_counter() - started)
        seen.initial_statuses[page.status_code] = seen.initial_statuses.get(page.status_code, 0) + 1
        refresh = refresh_url(base, page.text)
        ready.append(users[index])
        if len(ready) == len(users):
            opened.set()
        await opened.wait()

        async def load() -> None:
            t0 = time.perf_counter()
            for attempt in (1, 2):
                try:
                    resp = await c.get(refresh)
                except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
                    # gunicorn closes a connection idle for `keepalive` (5 s, the default interval): a browser
                    # sends the GET again on a new connection, and so does this user, once.
                    if attempt == 2:
                        seen.errors += 1
                        return
                    seen.retried += 1
                    continue
                except httpx.HTTPError:
                    seen.errors += 1
                    return
                seen.statuses[resp.status_code] = seen.statuses.get(resp.status_code, 0) + 1
                seen.during.append(time.perf_counter() - t0)
                return

        # Each user's first refresh is spread over the interval, as pages opened at different moments are.
        await asyncio.sleep(seen.interval * index / len(users))
        beat = time.perf_counter()
        while not stop.is_set():
            if pending:
                seen.overlapped += 1
            task = asyncio.create_task(load())
            pending.add(task)
            task.add_done_callback(pending.discard)
            beat += seen.interval
            try:
                await asyncio.wait_for(stop.wait(), timeout=max(0.0, beat - time.perf_counter()))
            except TimeoutError:
                pass
        if pending:
            await asyncio.gather(*pending)
    finally:
        await c.aclose()


async def warm_dashboards(base: str, user: str, connections: int = 8) -> None:
    """Open the dashboard and fetch its refresh once on each of `connections` new connections, untimed.

    A worker builds a page's templates and statements on its first load of it (in-process ~65-80 ms against
    ~15 ms afterwards); gunicorn hands each new connection to either worker, so eight reach both almost surely.
    A dashboard kept open all day meets that once per worker: it is the warm loads that the goal is about,
    as the check-ins are timed after a warm-up too.
    """
    c = client()
    try:
        await login(c, base, user, USER_PASSWORD)
        cookies = c.cookies
    finally:
        await c.aclose()
    for _ in range(connections):
        async with client() as k:
            k.cookies = cookies
            page = await k.get(base + DASHBOARD)
            await k.get(refresh_url(base, page.text))


def with_dashboards(base: str, users: list[str], url: str, phones: list[Phone], connections: int,
                    seen: Dashboards) -> Any:
    """Open every user's dashboard, then run the check-ins while they refresh; the Outcome is the check-ins'."""
    async def run() -> Outcome:
        opened, stop = asyncio.Event(), asyncio.Event()
        ready: list[str] = []
        # Separate connections: httpx clients each hold one; the users' own pool does not share with the load.
        pollers = [asyncio.create_task(keep_open(base, users, i, seen, opened, stop, ready))
                   for i in range(len(users))]
        waiter = asyncio.create_task(opened.wait())
        done, _ = await asyncio.wait([waiter, *pollers], return_when=asyncio.FIRST_COMPLETED)
        if waiter not in done:  # a poller failed before the dashboards were open
            for task in pollers:
                task.cancel()
            await asyncio.gather(*pollers, return_exceptions=True)
            raise SystemExit("the dashboard users could not open the dashboard")
        try:
            return await post_as_phones(url, phones, connections)
        finally:
            stop.set()
            await asyncio.gather(*pollers)

    return run()


def pooled(phases: list[dict[str, Any]]) -> dict[str, float | None]:
    """All of `phases` as one: the rate over their summed requests and time, the server CPU per request."""
    requests = sum(p["requests"] for p in phases)
    seconds = sum(p["requests"] / p["rate_per_s"] for p in phases if p["rate_per_s"])
    timed = [p for p in phases if p.get("server_cpu_ms_per_req") is not None]  # a recycled worker loses it
    cpu = (sum(p["server_cpu_ms_per_req"] * p["requests"] for p in timed) / sum(p["requests"] for p in timed)
           if timed else None)
    return {"rate": round(requests / seconds, 1) if seconds else None, "cpu": round(cpu, 3) if cpu else None}


def change_pct(before: float | None, after: float | None, *, drop: bool = False) -> float | None:
    """`after` against `before` in %: its rise, or with `drop` its fall."""
    if not before or after is None:
        return None
    change = (after / before - 1) * 100
    return round(-change if drop else change, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--year-size", type=int, default=100_000, help="check-ins in the synthetic year")
    parser.add_argument("--distinct", type=int, default=5000, help="self check-ins alone, and as many with dashboards")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--dashboard-users", type=int, default=4)
    parser.add_argument("--dashboard-interval", type=float, default=5.0, help="seconds between a user's refreshes")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--rounds", type=int, default=1, choices=range(1, 9),
                        help="alone/with pairs, alternated: on this noisy machine one pair's drop is one sample")
    parser.add_argument("--drop", action="store_true", help="allow dropping the tables of DATABASE_URL")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, SQLite file)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="evs-dash-"))
    s = setting(tmp, sqlite_name="year.sqlite3")
    if s.kind == "postgresql" and not args.drop:
        raise SystemExit("DATABASE_URL is set: its tables are dropped and recreated; pass --drop to agree")
    kind, conn = s.kind, args.connections
    servers = []
    try:
        setup = prepare(s, args.year_size, args.dashboard_users, args.seed)
        emit(BENCH, db=kind, phase="loaded", **setup["loaded"])

        top = run_ceiling(s, args.distinct, conn)
        emit(BENCH, db=kind, phase="ceiling_insert", connections=conn, **top)
        rate0 = top["rate_per_s"]

        env = dict(s.env)
        if args.rounds > 1:  # ~20 k requests per worker: no recycling restart (~1 s of CPU) inside a timed phase
            env["GUNICORN_CMD_ARGS"] = "--max-requests 100000"
        app = start_server("app", "wsgi:app", ROOT, env, tmp)
        servers.append(app)
        url = app.base + setup["path"]
        # Every person on their own phone, which opened the form first (not timed), as in checkin_load.py.
        warm = [Phone(f) for f in people(200, 9)]
        groups = [[Phone(f) for f in people(args.distinct, block)] for block in range(2 * args.rounds)]
        for group in (warm, *groups):
            asyncio.run(open_phones(url, group, conn))
        measure(app, lambda: post_as_phones(url, warm, conn))  # warm up: imports, pools
        asyncio.run(warm_dashboards(app.base, setup["users"][0]))
        drops, cpu_rises = [], []
        phases: dict[str, list[dict[str, Any]]] = {"alone": [], "with": []}
        loads: list[float] = []
        for r in range(args.rounds):
            first, second = groups[2 * r], groups[2 * r + 1]
            alone = measure(app, partial(post_as_phones, url, first, conn))
            emit(BENCH, db=kind, phase="checkin_alone", round=r + 1, year_check_ins=setup["loaded"]["check_ins"],
                 connections=conn, **alone, ratio_to_ceiling=ratio(alone["rate_per_s"], rate0))
            seen = Dashboards(args.dashboard_interval)
            both = measure(app, partial(with_dashboards, app.base, setup["users"], url, second, conn, seen))
            drop = change_pct(alone["rate_per_s"], both["rate_per_s"], drop=True)
            # The server's CPU per check-in, with the dashboards' work included, against alone: what the dashboards
            # cost, steadier than the rate when the machine's speed moves between the two phases.
            cpu_rise = change_pct(alone.get("server_cpu_ms_per_req"), both.get("server_cpu_ms_per_req"))
            drops.append(drop)
            cpu_rises.append(cpu_rise)
            phases["alone"].append(alone)
            phases["with"].append(both)
            loads.extend(seen.during)
            stored = count_rows(s.database_url, "SELECT COUNT(*) FROM check_in WHERE event_id = :e", e=setup["event"])
            emit(BENCH, db=kind, phase="checkin_with_dashboards", round=r + 1,
                 year_check_ins=setup["loaded"]["check_ins"],
                 connections=conn, dashboard_users=args.dashboard_users, **both,
                 ratio_to_ceiling=ratio(both["rate_per_s"], rate0), rate_alone_per_s=alone["rate_per_s"],
                 drop_pct=drop, cpu_per_checkin_rise_pct=cpu_rise, **seen.figures(),
                 check_ins_stored=stored, expected=200 + 2 * (r + 1) * args.distinct,
                 worker_rss_mb=app.worker_rss_mb(), workers_started=app.boots())
        if args.rounds > 1:
            alone_all, with_all = pooled(phases["alone"]), pooled(phases["with"])
            pooled_loads = Dashboards(args.dashboard_interval, during=loads).figures()
            emit(BENCH, db=kind, phase="summary", rounds=args.rounds,
                 drop_pct=drops, cpu_per_checkin_rise_pct=cpu_rises,
                 pooled_rate_alone_per_s=alone_all["rate"], pooled_rate_with_per_s=with_all["rate"],
                 pooled_drop_pct=change_pct(alone_all["rate"], with_all["rate"], drop=True),
                 pooled_cpu_per_checkin_rise_pct=change_pct(alone_all["cpu"], with_all["cpu"]),
                 **{f"pooled_{k}": pooled_loads[k] for k in
                    ("dashboard_loads", "dashboard_p50_ms", "dashboard_p99_ms", "dashboard_max_ms")})
    finally:
        clean_up(s, servers, tmp, keep=args.keep)


if __name__ == "__main__":
    main()
