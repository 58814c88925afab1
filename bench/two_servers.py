"""Two app servers, one database: the double-submit burst split across both, then the counts checked.

Each of N people submits twice at once, one submit to each gunicorn server (different ports, same
DATABASE_URL, same Redis when EVENTSVC_RATELIMIT_STORAGE_URL is set). Exactly N check-ins must be
stored, no 5xx, and `counts verify` must find nothing. Exit 1 otherwise. Run on PostgreSQL + Redis:

    scripts/two-servers.sh            # throwaway PostgreSQL and Redis, then this script
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    ROOT,
    Phone,
    count_rows,
    emit,
    measure,
    open_phones,
    people,
    post_as_phones,
    setting,
    start_server,
)
from checkin_load import prepare_events  # noqa: E402


def verify_counts(env: dict[str, str]) -> list[str]:
    """Run the app's own `counts verify` against the database the servers wrote to."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from eventsvc import create_app
        from eventsvc.extensions import db
        from eventsvc.progress.counters import verify

        app = create_app()
        with app.app_context():
            lines = list(verify().lines)
            db.engine.dispose()
        return lines
    finally:
        os.environ.clear()
        os.environ.update(saved)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=25, help="per server")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="evs-two-"))
    # Rate limits stay off (setting()): the burst comes from one address; Redis (if given) still backs the limiter.
    s = setting(tmp)
    env, database_url = s.env, s.database_url
    servers = []
    ok = False
    try:
        setup = prepare_events(s, tickets=0)
        _, (burst_id, burst_code), _ = setup["events"]
        servers = [start_server(f"app{i}", "wsgi:app", ROOT, env, tmp) for i in (1, 2)]
        # Every person on their own phone (form opened once on the first server, not timed); the session
        # and device cookies hold on both servers (one SECRET_KEY), so each phone submits once to each.
        path = setup["path"].replace("CODE", burst_code)
        phones = [Phone(f) for f in people(args.people, 3)]
        asyncio.run(open_phones(servers[0].base + path, phones, args.connections))
        results: dict[str, Any] = {}

        def run(server: Any) -> None:
            own = [Phone(p.form, list(p.cookies), p.token) for p in phones]  # each server's copy of the jars
            results[server.name] = measure(server, lambda: post_as_phones(server.base + path, own, args.connections))

        threads = [threading.Thread(target=run, args=(s,)) for s in servers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stored = count_rows(database_url, "SELECT COUNT(*) FROM check_in WHERE event_id = :e", e=burst_id)
        five = sum(r.get("5xx", 0) for r in results.values())
        differences = verify_counts(env)
        ok = stored == args.people and five == 0 and not differences
        for name, figures in results.items():
            emit("two_servers", phase="two_servers_burst", server=name, **figures)
        emit("two_servers", phase="two_servers_result", db=database_url.split(":")[0], check_ins_stored=stored,
             expected=args.people, five_xx=five, counts_differences=differences[:10], correct=ok)
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
