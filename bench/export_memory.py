"""Benchmark: big downloads through gunicorn, and what they do to the workers' memory.

An event with --checkins check-ins (default 100,000; plain SQL bulk inserts, then the maintained counts rebuilt
as bench/read_scale.py does) in a program of its own. The app runs under gunicorn with the production config
(2 workers x 4 threads, worker recycling included), beside the same-run ceiling app. First a write load (self
check-ins, as in checkin_load), then, logged in as a district administrator, the event's roster PDF and the
program's xlsx are downloaded --downloads times each. Prints JSON lines: each download's seconds, bytes and
status, the workers' RSS after it and at its peak (sampled), and the RSS before (after the write load) and after
the downloads beside the ceiling app's. Never asserts times.

Run: .venv/bin/python bench/export_memory.py [--checkins 100000] [--downloads 3]
     DATABASE_URL=postgresql+psycopg://… .venv/bin/python bench/export_memory.py --drop
(PostgreSQL: the tables of that database are dropped and recreated, hence --drop.)
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402  (bench/ is not a package)
    ROOT,
    Phone,
    Server,
    Setting,
    app_context,
    clean_up,
    client,
    emit,
    login,
    measure,
    open_phones,
    people,
    post_as_phones,
    run_ceiling,
    setting,
    start_server,
)
from checkin_load import checkin_path  # noqa: E402

BENCH = "export_memory"
ADMIN, PASSWORD = "bench-exporter", "export-pass-2026"
# The download URLs, by endpoint (eventsvc/reports/views.py), with the paths as fallback: views move.
DOWNLOADS = {"roster_pdf": ("reports.event_roster_pdf", "/events/{event}/roster.pdf"),
             "program_xlsx": ("reports.program_ledger_xlsx", "/programs/{program}/ledger.xlsx")}
BATCH = 10_000


def _url_for(what: str, **ids: int) -> str:
    """The download's URL from its endpoint (event_id= or program_id=), else the known path."""
    from flask import url_for
    from werkzeug.routing import BuildError

    endpoint, fallback = DOWNLOADS[what]
    try:
        return url_for(endpoint, **ids)  # type: ignore[arg-type]
    except BuildError:
        return fallback.format(event=ids.get("event_id"), program=ids.get("program_id"))


def prepare(s: Setting, n: int) -> dict[str, Any]:
    """An event holding n check-ins (bulk SQL, then counts rebuilt), an open event, a district admin."""
    from sqlalchemy import insert

    from eventsvc.checkin.models import SELF_SCAN, STAFF_SCAN, CheckIn, Participant
    from eventsvc.core.permissions import ADMIN as ADMIN_ROLE
    from eventsvc.core.timeutil import utcnow
    from eventsvc.events.operations import create_event, publish_event
    from eventsvc.extensions import db
    from eventsvc.orgs.models import DISTRICT, STREET
    from eventsvc.orgs.operations import create_organization, create_user
    from eventsvc.programs.operations import create_program
    from eventsvc.progress.counters import rebuild

    with app_context(s) as ctx:
        db.drop_all()
        db.create_all()
        root = create_organization("深圳市龙岗区总工会", DISTRICT, None, by=None, short_name="区总工会")
        street = create_organization("平湖街道总工会", STREET, root, by=None, short_name="平湖街道")
        now = utcnow()
        big_program = create_program(by=None, organization=root, year=now.year, name="十万人次项目")
        open_program = create_program(by=None, organization=root, year=now.year, name="压测签到项目")
        held = now - timedelta(days=1)
        big = create_event(big_program, street, by=None, title="十万人次集中服务日", venue_name="平湖暖蜂驿站",
                           starts_at=held, ends_at=held + timedelta(hours=4))
        publish_event(big, by=None)
        start = now - timedelta(minutes=10)
        live = create_event(open_program, street, by=None, title="压测签到", venue_name="平湖暖蜂驿站",
                            starts_at=start, ends_at=start + timedelta(hours=4))
        publish_event(live, by=None)
        create_user(ADMIN, PASSWORD, ADMIN_ROLE, root, by=None, display_name="压测管理员")
        db.session.commit()

        started = time.perf_counter()
        for first in range(0, n, BATCH):
            db.session.execute(insert(Participant.__table__), [
                {"phone": f"13{i:09d}", "name": f"职工{i:06d}", "workplace": "平湖街道美团站点",
                 "group_label": "外卖员"} for i in range(first, min(n, first + BATCH))])
        ids = list(db.session.scalars(db.select(Participant.id).order_by(Participant.id)))
        for first in range(0, n, BATCH):
            db.session.execute(insert(CheckIn.__table__), [
                {"event_id": big.id, "participant_id": pid, "method": SELF_SCAN if j % 5 else STAFF_SCAN,
                 "checked_in_at": held + timedelta(milliseconds=100 * j)}
                for j, pid in enumerate(ids[first:first + BATCH], start=first)])
        rebuild()  # plain INSERTs bypass the maintained counts: fill them like `flask counts rebuild`
        db.session.commit()
        if s.kind == "postgresql":
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
        with ctx.app.test_request_context():
            urls = {"roster_pdf": _url_for("roster_pdf", event_id=big.id),
                    "program_xlsx": _url_for("program_xlsx", program_id=big_program.id)}
            path = checkin_path().replace("CODE", live.code)
        out = {"urls": urls, "path": path, "check_ins": n, "load_s": round(time.perf_counter() - started, 1)}
        db.session.remove()
        db.engine.dispose()
    return out


class Sampler:
    """Sample the workers' RSS every 0.2 s in a thread; keep the peak seen per worker pid."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.peak: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in self.server.workers():
                try:
                    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
                except OSError:
                    continue
                for line in lines:
                    if line.startswith("VmRSS:"):
                        self.peak[pid] = max(self.peak.get(pid, 0.0), int(line.split()[1]) / 1024)
            self._stop.wait(0.2)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def download(c: Any, url: str) -> tuple[int, int, float]:
    started = time.perf_counter()
    resp = await c.get(url)
    return resp.status_code, len(resp.content), time.perf_counter() - started


def run_downloads(app: Server, urls: dict[str, str], times: int) -> list[dict[str, Any]]:
    """Download each report `times` times, one at a time, as one logged-in administrator."""
    async def run() -> list[dict[str, Any]]:
        c = client(timeout=300.0)
        rows = []
        try:
            await login(c, app.base, ADMIN, PASSWORD)
            for what, path in urls.items():
                for i in range(times):
                    before = app.workers()
                    with Sampler(app) as sampler:
                        try:
                            status, size, seconds = await download(c, app.base + path)
                        except Exception as exc:  # noqa: BLE001  (a timeout or a cut connection is a figure)
                            status, size, seconds = 0, 0, float("nan")
                            print(f"{what} #{i + 1}: {exc!r}", file=sys.stderr)
                        await asyncio.sleep(1.0)  # a worker above the RSS limit retires after its request
                    rows.append({"what": what, "path": path, "run": i + 1, "status": status, "bytes": size,
                                 "seconds": round(seconds, 2), "worker_rss_mb_after": app.worker_rss_mb(),
                                 "peak_rss_mb": round(max(sampler.peak.values(), default=0.0), 1),
                                 "worker_replaced": app.workers() != before})
        finally:
            await c.aclose()
        return rows

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--checkins", type=int, default=100_000, help="check-ins of the big event")
    parser.add_argument("--downloads", type=int, default=3, help="downloads of each report")
    parser.add_argument("--writes", type=int, default=2000, help="self check-ins before the downloads")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--drop", action="store_true", help="allow dropping the tables of DATABASE_URL")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, SQLite file)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="evs-export-"))
    s = setting(tmp, sqlite_name="exports.sqlite3")
    if s.kind == "postgresql" and not args.drop:
        raise SystemExit("DATABASE_URL is set: its tables are dropped and recreated; pass --drop to agree")
    kind, conn = s.kind, args.connections
    servers = []
    try:
        setup = prepare(s, args.checkins)
        emit(BENCH, db=kind, phase="loaded", check_ins=setup["check_ins"], load_s=setup["load_s"])
        top = run_ceiling(s, args.writes, conn)
        emit(BENCH, db=kind, phase="ceiling_insert", connections=conn, **top)

        app = start_server("app", "wsgi:app", ROOT, s.env, tmp)
        servers.append(app)
        url = app.base + setup["path"]
        warm, phones = [Phone(f) for f in people(200, 9)], [Phone(f) for f in people(args.writes, 0)]
        for group in (warm, phones):  # each person on their own phone, as in checkin_load.py
            asyncio.run(open_phones(url, group, conn))
        measure(app, lambda: post_as_phones(url, warm, conn))  # warm up
        writes = measure(app, lambda: post_as_phones(url, phones, conn))
        before = app.worker_rss_mb()
        emit(BENCH, db=kind, phase="after_write_loads", writes=writes["requests"], rate_per_s=writes["rate_per_s"],
             worker_rss_mb=before, ceiling_worker_rss_mb=top["worker_rss_mb"])

        rows = run_downloads(app, setup["urls"], args.downloads)
        for row in rows:
            emit(BENCH, db=kind, phase="export_download", check_ins=setup["check_ins"], **row)
        time.sleep(2.0)
        emit(BENCH, db=kind, phase="exports_memory", check_ins=setup["check_ins"], downloads=len(rows),
             failed=sum(1 for r in rows if r["status"] != 200),
             worker_rss_mb_before=before, worker_rss_mb_after=app.worker_rss_mb(),
             peak_rss_mb=max((r["peak_rss_mb"] for r in rows), default=None),
             workers_replaced=sum(1 for r in rows if r["worker_replaced"]), workers_started=app.boots(),
             ceiling_worker_rss_mb=top["worker_rss_mb"])
    finally:
        clean_up(s, servers, tmp, keep=args.keep)


if __name__ == "__main__":
    main()
