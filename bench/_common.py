"""What the load benchmarks share: servers under gunicorn, the same-run ceiling, async HTTP load, JSON lines.

Servers run as production does: `gunicorn -c deploy/gunicorn.conf.py` (gthread, access log, worker recycling),
with only the address, workers and threads given as flags. The load runs outside the servers, in this
process, with httpx's async client; it never asserts times, it prints them.
"""
from __future__ import annotations

import asyncio
import functools
import gc
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
import textwrap
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
WORKERS, THREADS = 2, 4  # the README's production section
HTTP_TIMEOUT = 60.0
CSRF_FIELD = "csrf_token"
PERSON_FIELDS = {"name": "压测{n:05d}", "phone": "{phone}", "workplace": "美团平湖站", "group": "外卖员",
                 "consent": "y"}  # the privacy consent box the form requires
_CSRF_INPUT = re.compile(r'<input[^>]*\bname="csrf_token"[^>]*>')
_VALUE = re.compile(r'\bvalue="([^"]+)"')
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def phone(n: int, block: int) -> str:
    """A distinct valid mobile number per (block, n): blocks keep the phases' people apart."""
    return f"1{5 + block % 4}{block % 10}{n:08d}"


def people(n: int, block: int) -> list[dict[str, str]]:
    """The self check-in form of n distinct people."""
    return [{k: v.format(n=i, phone=phone(i, block)) for k, v in PERSON_FIELDS.items()} for i in range(n)]


def csrf_from(html: str) -> str | None:
    """Return the CSRF token of a page: the form's hidden input, else the page's <meta name="csrf-token">."""
    tag = _CSRF_INPUT.search(html)
    value = _VALUE.search(tag.group(0)) if tag else None
    if value:
        return value.group(1)
    meta = _CSRF_META.search(html)
    return meta.group(1) if meta else None


def emit(bench: str, **fields: Any) -> None:
    print(json.dumps({"bench": bench, **fields}, ensure_ascii=False), flush=True)


def ratio(rate: float | None, ceiling: float | None) -> float | None:
    return round(rate / ceiling, 3) if rate and ceiling else None


def cpu_ratio_to_ceiling(cpu_ms: float | None, ceiling_cpu_ms: float | None) -> float | None:
    """The ceiling's server CPU per request over this phase's per request (per flow): the ratio to the ceiling
    that the load generator's own cost, on the same cores, does not dilute (None when a figure was lost)."""
    return round(ceiling_cpu_ms / cpu_ms, 3) if cpu_ms and ceiling_cpu_ms else None


# --- the environment -----------------------------------------------------------------------------------------
@dataclass
class Setting:
    """Where a bench run keeps its databases and how it talks to them."""

    tmp: Path
    database_url: str
    kind: str  # "sqlite" | "postgresql"
    ceiling_url: str
    env: dict[str, str]


def setting(tmp: Path, *, sqlite_name: str = "eventsvc.sqlite3") -> Setting:
    """SQLite files in `tmp`, or the PostgreSQL of DATABASE_URL (the ceiling's table goes there too)."""
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / sqlite_name}"
    kind = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    ceiling_url = database_url if kind == "postgresql" else f"sqlite:///{tmp / 'ceiling.sqlite3'}"
    env = {**os.environ, "EVENTSVC_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
           "DATABASE_URL": database_url, "EVENTSVC_INSTANCE_PATH": str(tmp),
           # gunicorn is reached over plain HTTP here (nginx terminates TLS in production), so cookies may not
           # be Secure-only; rate limits would throttle one client address sending thousands of requests.
           "EVENTSVC_SESSION_COOKIE_SECURE": "false", "EVENTSVC_REMEMBER_COOKIE_SECURE": "false",
           "EVENTSVC_RATELIMIT_ENABLED": "false", "PYTHONPATH": str(ROOT)}
    return Setting(tmp, database_url, kind, ceiling_url, env)


def app_context(s: Setting) -> Any:
    """An app context on the bench database, for preparing it with the app's own operations."""
    saved = dict(os.environ)
    os.environ.update(s.env)
    try:
        from eventsvc import create_app

        app = create_app()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return app.app_context()


def count_rows(url: str, sql: str, **params: Any) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(text(sql), params).scalar_one()
    engine.dispose()
    return int(n)


# --- servers -------------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _proc_fields(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


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
            fields = _proc_fields(int(stat.parent.name))
            if fields and int(fields[1]) == self.proc.pid:
                kids.append(int(stat.parent.name))
        return sorted(kids)

    def cpu_seconds(self) -> float:
        """Return user+system CPU of the master and its live workers so far (a retired worker's is lost)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in [self.proc.pid, *self.workers()]:
            fields = _proc_fields(pid)
            if fields:
                total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def worker_rss_mb(self) -> list[float]:
        out = []
        for pid in self.workers():
            try:
                lines = Path(f"/proc/{pid}/status").read_text().splitlines()
            except OSError:
                continue
            out += [round(int(line.split()[1]) / 1024, 1) for line in lines if line.startswith("VmRSS:")]
        return out

    def boots(self) -> int:
        """Workers started so far (gunicorn logs each one): more than the worker count means replacements."""
        return self.log.read_text(errors="replace").count("Booting worker with pid")

    def replacement_reasons(self) -> list[str]:
        """The gunicorn log lines that say why workers were replaced (memory, request count, timeout)."""
        marks = ("restarting after its current requests", "Autorestarting", "WORKER TIMEOUT", "was sent SIGKILL")
        lines = self.log.read_text(errors="replace").splitlines()
        return [line[-160:] for line in lines if any(m in line for m in marks)][-4:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_server(name: str, app: str, cwd: Path, env: dict[str, str], logdir: Path, *,
                 workers: int = WORKERS, threads: int = THREADS) -> Server:
    """Start gunicorn with the production config file; return once every worker answers."""
    port = _free_port()
    log = logdir / f"{name}.log"
    cmd = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "-b", f"127.0.0.1:{port}",
           "-w", str(workers), "--threads", str(threads), "--chdir", str(cwd), app]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(name, proc, port, log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{name} did not start:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                if len(server.workers()) >= workers and server.boots() >= workers:
                    time.sleep(1.0)  # each worker imports the app after it is forked
                    return server
        except OSError:
            pass
        time.sleep(0.2)
    server.stop()
    raise SystemExit(f"{name} did not answer on port {port}")


# --- load ----------------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    wall: float = 0.0
    requests: int = 0  # HTTP requests sent (a phone flow is three)
    server_cpu: float | None = None  # server CPU seconds over the timed part (sessions and logins left out)
    # The load generator's own CPU seconds over the same part: it shares the machine's cores with the
    # servers, so a phase's rate is bounded by the client's cost per request as well as the server's.
    client_cpu: float = 0.0

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


Setup = Callable[[Any], Awaitable[Any]]
Step = Callable[[Any, Any, Any], Awaitable[int]]
# Set by measure(): the server's CPU counter, read by drive() around the timed part only.
CPU_PROBE: ContextVar[Callable[[], float] | None] = ContextVar("CPU_PROBE", default=None)


@functools.cache
def _tls_context() -> Any:
    """One TLS context for every client. httpx builds one per client even for plain HTTP, loading the CA bundle
    each time (~27 ms here): 20 clients made as a phase starts stalled the load generator's event loop for
    ~0.4-0.55 s, and a dashboard load in flight then was timed at ~400 ms although the server took ~30."""
    import httpx

    return httpx.create_ssl_context()


def client(timeout: float = HTTP_TIMEOUT) -> Any:
    """One connection's client: a single kept-alive connection, redirects not followed (each is timed)."""
    import httpx

    return httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                             follow_redirects=False, verify=_tls_context())


async def drive(items: Sequence[Any], connections: int, setup: Setup, step: Step, *,
                requests_per_item: int = 1) -> Outcome:
    """Run `step(client, state, item)` for every item, pulled in order by `connections` clients.

    `setup(client)` runs first on every client (a session, a login) and is not timed; each step is timed
    whole and returns the status it counts.
    """
    import httpx

    outcome = Outcome()
    queue: asyncio.Queue[Any] = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    clients = [client() for _ in range(connections)]
    try:
        states = await asyncio.gather(*(setup(c) for c in clients))

        async def worker(c: Any, state: Any) -> None:
            while True:
                try:
                    item = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                started = time.perf_counter()
                try:
                    status = await step(c, state, item)
                    outcome.add(status, time.perf_counter() - started)
                except httpx.HTTPError:
                    outcome.errors += 1

        probe = CPU_PROBE.get()
        cpu0 = probe() if probe else 0.0
        client0 = time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(worker(c, s) for c, s in zip(clients, states, strict=True)))
        outcome.wall = time.perf_counter() - started
        outcome.client_cpu = time.process_time() - client0
        if probe:
            outcome.server_cpu = probe() - cpu0
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    outcome.requests = len(outcome.latencies) * requests_per_item
    return outcome


def post_forms(url: str, forms: Sequence[dict[str, str]], connections: int) -> Coroutine[Any, Any, Outcome]:
    """POST each form, no cookies or token (the ceiling app); the app's phones use post_as_phones."""
    async def step(c: Any, _state: None, form: dict[str, str]) -> int:
        return int((await c.post(url, data=form)).status_code)

    return drive(forms, connections, _none, step)


@dataclass
class Phone:
    """One worker's phone: the person it submits, its cookies (session, device) and its form's CSRF token."""

    form: dict[str, str]
    cookies: list[Any] = field(default_factory=list)  # http.cookiejar.Cookie, as the server set them
    token: str = ""

    def keep(self, c: Any) -> None:
        """Keep the cookies the client holds now (the server may have replaced some)."""
        self.cookies = list(c.cookies.jar)

    def use(self, c: Any) -> None:
        """Give the client this phone's cookies, and only those."""
        c.cookies.clear()
        for cookie in self.cookies:
            c.cookies.jar.set_cookie(cookie)


def open_phones(url: str, phones: Sequence[Phone], connections: int) -> Coroutine[Any, Any, Outcome]:
    """Have every phone open the form once, as a new phone (no cookies): its session, device and token."""
    async def step(c: Any, _state: None, phone: Phone) -> int:
        c.cookies.clear()
        resp = await c.get(url)
        phone.token = csrf_from(resp.text) or ""
        phone.keep(c)
        return int(resp.status_code)

    return drive(phones, connections, _none, step)


async def _none(_c: Any) -> None:
    return None


def post_as_phones(url: str, phones: Sequence[Phone], connections: int) -> Coroutine[Any, Any, Outcome]:
    """POST each phone's form with its own cookies and token (only the POSTs are timed); keep what it set."""
    async def step(c: Any, _state: None, phone: Phone) -> int:
        phone.use(c)
        resp = await c.post(url, data={**phone.form, CSRF_FIELD: phone.token})
        phone.keep(c)
        return int(resp.status_code)

    return drive(phones, connections, _none, step)


async def login(c: Any, base: str, username: str, password: str) -> None:
    """Log in through the login form (CSRF token included), as staff do."""
    token = csrf_from((await c.get(f"{base}/login")).text) or ""
    resp = await c.post(f"{base}/login", data={CSRF_FIELD: token, "username": username, "password": password})
    if resp.status_code != 302:
        raise SystemExit(f"login as {username} failed: {resp.status_code}")


def measure(server: Server, load: Callable[[], Coroutine[Any, Any, Outcome]]) -> dict[str, Any]:
    """Run the load; add the server's CPU per request (master and workers, user+system) to the figures.

    The CPU is taken over the timed part only (not the clients' sessions and logins); anything else the
    server does meanwhile (dashboards being refreshed) is in it.
    """
    token = CPU_PROBE.set(server.cpu_seconds)
    # The load generator's own full collections walked every prepared phone (70-140 ms pauses, one or two a
    # phase) and were timed as the server's latency; frozen, they walk only what the phase allocates.
    gc.collect()
    gc.freeze()
    booted = server.boots()
    try:
        outcome = asyncio.run(load())
    finally:
        CPU_PROBE.reset(token)
    cpu = outcome.server_cpu or 0.0
    figures = outcome.figures()
    figures["server_cpu_ms_per_req"] = round(1000 * cpu / max(1, outcome.requests), 2)
    figures["client_cpu_ms_per_req"] = round(1000 * outcome.client_cpu / max(1, outcome.requests), 2)
    replaced = server.boots() - booted
    if replaced:  # a replaced worker's CPU left with it: the figure would be wrong, so none is given
        figures.update(server_cpu_ms_per_req=None, workers_replaced=replaced, why=server.replacement_reasons())
    return figures


# --- the same-run ceilings: a bare Flask app doing one pooled INSERT (or one SELECT) per request -------------
CEILING_APP = textwrap.dedent('''
    """The same-run ceilings: a bare Flask app doing one pooled INSERT (/insert) or SELECT (/read) per request,
    or nothing but parse the form (/noop)."""
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

    @app.post("/read")
    def read():
        with engine.connect() as conn:
            row = conn.execute(text("SELECT id, name FROM bench_ceiling WHERE phone = :p LIMIT 1"),
                               {"p": request.form.get("phone", "")}).first()
        return "ok" if row is not None else "none"

    @app.post("/noop")
    def noop():
        request.form.get("phone")  # the form is parsed, as every view's is; the database is not touched
        return "ok"
''')


def best_of(server: Server, load: Callable[[], Coroutine[Any, Any, Outcome]], runs: int) -> dict[str, Any]:
    """The fastest of `runs` back-to-back measurements (the cores are shared: one can come out low and flatter
    every ratio to it), with every run's rate."""
    results = [measure(server, load) for _ in range(max(runs, 1))]
    figures = max(results, key=lambda r: r["rate_per_s"] or 0)
    figures["runs_per_s"] = [r["rate_per_s"] for r in results]
    return figures


def _ceiling_table(s: Setting, *, create: bool) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(s.ceiling_url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_ceiling"))
        if create:
            conn.execute(text("CREATE TABLE bench_ceiling (id %s, name VARCHAR(40), phone VARCHAR(20), at TIMESTAMP)"
                              % ("SERIAL PRIMARY KEY" if s.kind == "postgresql" else "INTEGER PRIMARY KEY")))
    engine.dispose()


def run_ceiling(s: Setting, n: int, connections: int, *, runs: int = 2) -> dict[str, Any]:
    """Measure the ceiling app (same gunicorn config) on n inserts; its figures include worker RSS after.

    The two cores are shared with the load generator and whatever else runs, so one measurement can come out
    low and flatter every ratio: the ceiling is the best of `runs` back-to-back runs (each rate is reported).
    """
    _ceiling_table(s, create=True)
    (s.tmp / "ceiling_app.py").write_text(CEILING_APP)
    server = start_server("ceiling", "ceiling_app:app", s.tmp, {**s.env, "CEILING_DATABASE_URL": s.ceiling_url},
                          s.tmp)
    try:
        url = f"{server.base}/insert"
        forms = people(n, 0)
        measure(server, lambda: post_forms(url, forms[:200], connections))  # warm up
        figures = best_of(server, lambda: post_forms(url, forms, connections), runs)
        figures["worker_rss_mb"] = server.worker_rss_mb()
        return figures
    finally:
        server.stop()


def run_read_ceiling(s: Setting, phones: Sequence[Phone], connections: int, *, runs: int = 2) -> dict[str, Any]:
    """Measure the ceiling app's `/read` (one pooled SELECT by phone, indexed) as `phones` POST their forms.

    A repeat check-in answers from one read, so no repeat can go faster than this bare read does with the
    same requests (the same forms and cookies, the same client work): over the first check-in's rate it
    bounds what `repeat_vs_first` can reach in the same run. Call it after run_ceiling (its rows are read).

    The same requests to `/noop` (parse the form, answer, no database) follow, on the same server: what any
    Flask view costs and reaches here before it does any work (`noop_*` figures).
    """
    from sqlalchemy import create_engine, text

    engine = create_engine(s.ceiling_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE INDEX IF NOT EXISTS bench_ceiling_phone ON bench_ceiling (phone)"))
        if s.kind == "postgresql":  # statistics for the new index, as for the app's tables (prepare_events)
            conn.execute(text("ANALYZE bench_ceiling"))
    engine.dispose()
    server = start_server("ceiling_read", "ceiling_app:app", s.tmp,
                          {**s.env, "CEILING_DATABASE_URL": s.ceiling_url}, s.tmp)
    try:
        url = f"{server.base}/read"
        measure(server, lambda: post_as_phones(url, phones[:200], connections))  # warm up
        figures = best_of(server, lambda: post_as_phones(url, phones, connections), runs)
        noop = f"{server.base}/noop"
        nothing = best_of(server, lambda: post_as_phones(noop, phones, connections), runs)
        figures.update({f"noop_{key}": nothing[key] for key in (
            "rate_per_s", "p50_ms", "p99_ms", "server_cpu_ms_per_req", "client_cpu_ms_per_req")})
        return figures
    finally:
        server.stop()


def drop_ceiling(s: Setting) -> None:
    """PostgreSQL: leave the database as it was (SQLite's file goes with the temporary folder)."""
    if s.kind == "postgresql":
        _ceiling_table(s, create=False)


def clean_up(s: Setting, servers: Sequence[Server], tmp: Path, *, keep: bool) -> None:
    """Stop the servers, drop the ceiling table, remove the run's folder unless asked to keep it."""
    for server in servers:
        server.stop()
    drop_ceiling(s)
    if keep:
        print(f"kept {tmp}", file=sys.stderr)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
