"""Benchmark: self check-ins against the real app under gunicorn, beside a same-run one-insert ceiling.

Prints JSON lines (never asserts times): rate, p50/p99, ratio to the ceiling, server CPU per request and
worker RSS for 5,000 distinct then 5,000 repeat check-ins at 20 connections, then the double-submit burst
(2,000 people each submitting twice at once, 50 connections) with its correctness check.

Run: .venv/bin/python bench/checkin_load.py [--distinct 5000] [--burst 2000]
     DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python bench/checkin_load.py
(PostgreSQL: an empty throwaway database; the script creates the tables and a bench_ceiling table.)
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# --- What the bench knows about the app: kept here, in one place, because the check-in views are moving. ---
CHECKIN_ENDPOINTS = ("checkin.self_check_in", "checkin_public.self_check_in", "public.self_check_in")
CHECKIN_RULE_FALLBACK = "/c/{code}"
PERSON_FIELDS = {"name": "压测{n:05d}", "phone": "{phone}", "workplace": "美团平湖站", "group": "外卖员",
                 "consent": "y"}  # the privacy consent box the form requires
CSRF_FIELD = "csrf_token"
GUNICORN = [sys.executable, "-m", "gunicorn", "-w", "2", "-k", "gthread", "--threads", "4"]  # README production
HTTP_TIMEOUT = 60.0


def _phone(n: int, block: int) -> str:
    return f"1{5 + block % 4}{block % 10}{n:08d}"


# --- servers -------------------------------------------------------------------------------------------------
CEILING_APP = textwrap.dedent('''
    """The same-run ceiling: a bare Flask app doing one pooled INSERT per request."""
    import os
    from datetime import datetime, timezone

    from flask import Flask, request
    from sqlalchemy import create_engine, event, text

    engine = create_engine(os.environ["CEILING_DATABASE_URL"], pool_size=5)

    @event.listens_for(engine, "connect")
    def _pragmas(conn, _record):
        if type(conn).__module__.startswith("sqlite3"):  # the app's own SQLite settings
            for pragma in ("busy_timeout=10000", "journal_mode=WAL", "synchronous=NORMAL"):
                conn.execute("PRAGMA " + pragma)

    app = Flask(__name__)

    @app.post("/insert")
    def insert():
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO bench_ceiling (name, phone, at) VALUES (:n, :p, :a)"),
                         {"n": request.form.get("name", ""), "p": request.form.get("phone", ""),
                          "a": datetime.now(timezone.utc).replace(tzinfo=None)})
        return "ok"
''')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A gunicorn started by the bench, stopped by it."""

    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        """Return the worker pids (children of the gunicorn master)."""
        kids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                kids.append(int(stat.parent.name))
        return kids

    def cpu_seconds(self) -> float:
        """Return user+system CPU of the master and its workers so far."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in [self.proc.pid, *self.workers()]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def worker_rss_mb(self) -> list[float]:
        out = []
        for pid in self.workers():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out.append(round(int(line.split()[1]) / 1024, 1))
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_server(name: str, app: str, cwd: Path, env: dict[str, str], logdir: Path) -> Server:
    port = _free_port()
    log = logdir / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([*GUNICORN, "-b", f"127.0.0.1:{port}", "--chdir", str(cwd), app],
                                cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(name, proc, port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{name} did not start:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                if len(server.workers()) >= 2:
                    return server
        except OSError:
            pass
        time.sleep(0.2)
    server.stop()
    raise SystemExit(f"{name} did not answer on port {port}")


# --- the database, prepared with the app's own code ----------------------------------------------------------
def prepare_events(env: dict[str, str]) -> dict[str, Any]:
    """Create the tables, an organization, a program and two published events open for check-in now."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from eventsvc import create_app
        from eventsvc.core.timeutil import utcnow
        from eventsvc.events.operations import create_event, publish_event
        from eventsvc.extensions import db
        from eventsvc.orgs.models import DISTRICT, STREET
        from eventsvc.orgs.operations import create_organization
        from eventsvc.programs.operations import create_program

        app = create_app()
        with app.app_context():
            db.create_all()
            root = create_organization("深圳市龙岗区总工会", DISTRICT, None, by=None, short_name="区总工会")
            street = create_organization("平湖街道总工会", STREET, root, by=None, short_name="平湖街道")
            program = create_program(by=None, organization=root, year=utcnow().year, name="压测项目")
            start = utcnow() - timedelta(minutes=10)
            codes = []
            for title in ("压测签到", "压测双击"):
                event = create_event(program, street, by=None, title=title, venue_name="平湖暖蜂驿站",
                                     starts_at=start, ends_at=start + timedelta(hours=4))
                publish_event(event, by=None)
                db.session.flush()
                codes.append((event.id, event.code))
            db.session.commit()
            with app.test_request_context():
                from flask import url_for
                from werkzeug.routing import BuildError

                path = CHECKIN_RULE_FALLBACK.format(code="CODE")
                for endpoint in CHECKIN_ENDPOINTS:  # the first name that exists: the views are moving
                    try:
                        path = url_for(endpoint, code="CODE")
                    except BuildError:
                        pass
                    else:
                        break
            db.engine.dispose()
        return {"events": codes, "path": path}
    finally:
        os.environ.clear()
        os.environ.update(saved)


def count_check_ins(env: dict[str, str], event_id: int) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(env["DATABASE_URL"])
    with engine.connect() as conn:
        n = conn.execute(text("SELECT COUNT(*) FROM check_in WHERE event_id = :e"), {"e": event_id}).scalar_one()
    engine.dispose()
    return int(n)


# --- load ----------------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    wall: float = 0.0

    def add(self, status: int, seconds: float) -> None:
        self.latencies.append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def figures(self) -> dict[str, Any]:
        lat = sorted(self.latencies)
        n = len(lat)
        return {
            "requests": n, "rate_per_s": round(n / self.wall, 1) if self.wall else None,
            "p50_ms": round(1000 * statistics.median(lat), 1) if lat else None,
            "p99_ms": round(1000 * lat[min(n - 1, int(n * 0.99))], 1) if lat else None,
            "status": {str(k): v for k, v in sorted(self.statuses.items())}, "errors": self.errors,
            "5xx": sum(v for k, v in self.statuses.items() if k >= 500),
        }


async def _open_session(client: Any, url: str) -> dict[str, str]:
    """GET the form once, as a phone would: the session cookie and the CSRF token come with it."""
    resp = await client.get(url)
    match = re.search(rf'name="{CSRF_FIELD}"\s+value="([^"]+)"', resp.text)
    return {CSRF_FIELD: match.group(1)} if match else {}


async def run_load(url: str, people: list[dict[str, str]], connections: int, *, csrf: bool) -> Outcome:
    """POST each form in `people` (in order, pulled by `connections` clients); time the POSTs only."""
    import httpx

    outcome = Outcome()
    queue: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    for p in people:
        queue.put_nowait(p)

    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [httpx.AsyncClient(timeout=HTTP_TIMEOUT, limits=limits, follow_redirects=False)
               for _ in range(connections)]
    try:
        # Every client opens its session first (GET form: cookie + CSRF token); only the POSTs are timed.
        extras = await asyncio.gather(*(_open_session(c, url) if csrf else _nothing() for c in clients))

        async def worker(client: Any, extra: dict[str, str]) -> None:
            while True:
                try:
                    form = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                started = time.perf_counter()
                try:
                    resp = await client.post(url, data={**form, **extra})
                    outcome.add(resp.status_code, time.perf_counter() - started)
                except httpx.HTTPError:
                    outcome.errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(c, e) for c, e in zip(clients, extras, strict=False)))
        outcome.wall = time.perf_counter() - started
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return outcome


async def _nothing() -> dict[str, str]:
    return {}


def people(n: int, block: int) -> list[dict[str, str]]:
    out = []
    for i in range(n):
        phone = _phone(i, block)
        out.append({k: v.format(n=i, phone=phone) for k, v in PERSON_FIELDS.items()})
    return out


def measure(server: Server, url: str, forms: list[dict[str, str]], connections: int, *, csrf: bool) -> dict[str, Any]:
    cpu0 = server.cpu_seconds()
    outcome = asyncio.run(run_load(url, forms, connections, csrf=csrf))
    cpu = server.cpu_seconds() - cpu0
    figures = outcome.figures()
    figures["server_cpu_ms_per_req"] = round(1000 * cpu / max(1, len(outcome.latencies)), 2)
    return figures


def emit(**fields: Any) -> None:
    print(json.dumps({"bench": "checkin_load", **fields}, ensure_ascii=False), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--distinct", type=int, default=5000)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--burst-connections", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, SQLite file)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="evs-bench-"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'eventsvc.sqlite3'}"
    kind = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    ceiling_url = database_url if kind == "postgresql" else f"sqlite:///{tmp / 'ceiling.sqlite3'}"
    env = {**os.environ, "EVENTSVC_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
           "DATABASE_URL": database_url, "EVENTSVC_INSTANCE_PATH": str(tmp),
           # gunicorn is reached over plain HTTP here (nginx terminates TLS in production), so cookies may not
           # be Secure-only; rate limits would throttle one client address sending thousands of requests.
           "EVENTSVC_SESSION_COOKIE_SECURE": "false", "EVENTSVC_REMEMBER_COOKIE_SECURE": "false",
           "EVENTSVC_RATELIMIT_ENABLED": "false", "PYTHONPATH": str(ROOT)}
    servers: list[Server] = []
    try:
        setup = prepare_events(env)
        (main_id, main_code), (burst_id, burst_code) = setup["events"]
        from sqlalchemy import create_engine, text

        engine = create_engine(ceiling_url)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS bench_ceiling"))
            conn.execute(text("CREATE TABLE bench_ceiling (id %s, name VARCHAR(40), phone VARCHAR(20), at TIMESTAMP)"
                              % ("SERIAL PRIMARY KEY" if kind == "postgresql" else "INTEGER PRIMARY KEY")))
        engine.dispose()
        (tmp / "ceiling_app.py").write_text(CEILING_APP)

        ceiling = start_server("ceiling", "ceiling_app:app", tmp, {**env, "CEILING_DATABASE_URL": ceiling_url}, tmp)
        servers.append(ceiling)
        forms = people(args.distinct, 0)
        measure(ceiling, f"{ceiling.base}/insert", forms[:200], args.connections, csrf=False)  # warm up
        top = measure(ceiling, f"{ceiling.base}/insert", forms, args.connections, csrf=False)
        emit(db=kind, phase="ceiling_insert", connections=args.connections, **top,
             worker_rss_mb=ceiling.worker_rss_mb())
        ceiling.stop()
        servers.remove(ceiling)

        app = start_server("app", "wsgi:app", ROOT, env, tmp)
        servers.append(app)
        url = app.base + setup["path"].replace("CODE", main_code)
        warm = people(200, 9)
        measure(app, url, warm, args.connections, csrf=True)  # warm up: imports, templates, pools
        rate0 = top["rate_per_s"] or 1
        first = measure(app, url, forms, args.connections, csrf=True)
        emit(db=kind, phase="self_checkin_first", connections=args.connections, **first,
             ratio_to_ceiling=round((first["rate_per_s"] or 0) / rate0, 3))
        repeat = measure(app, url, forms, args.connections, csrf=True)
        emit(db=kind, phase="self_checkin_repeat", connections=args.connections, **repeat,
             ratio_to_ceiling=round((repeat["rate_per_s"] or 0) / rate0, 3),
             repeat_vs_first=round((repeat["rate_per_s"] or 0) / (first["rate_per_s"] or 1), 2))
        stored = count_check_ins(env, main_id)
        emit(db=kind, phase="after_write_loads", check_ins_stored=stored, expected=args.distinct + len(warm),
             worker_rss_mb=app.worker_rss_mb())

        burst_forms = [f for f in people(args.burst, 1) for _ in range(2)]  # each person twice, back to back
        burst_url = app.base + setup["path"].replace("CODE", burst_code)
        burst = measure(app, burst_url, burst_forms, args.burst_connections, csrf=True)
        got = count_check_ins(env, burst_id)
        emit(db=kind, phase="double_submit_burst", connections=args.burst_connections, **burst,
             check_ins_stored=got, expected=args.burst, correct=got == args.burst and burst["5xx"] == 0)
    finally:
        for server in servers:
            server.stop()
        if kind == "postgresql":
            from sqlalchemy import create_engine, text

            engine = create_engine(ceiling_url)
            with engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS bench_ceiling"))
            engine.dispose()
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
