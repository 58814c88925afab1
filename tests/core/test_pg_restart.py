"""After a PostgreSQL restart the app answers again at once, without a burst of 500s (issue 8 §3).

Starts a throwaway PostgreSQL of its own (port PGTEST_RESTART_PORT, default 54355; the logic of
scripts/with-postgres.sh), keeps requests going from several threads, restarts the server, and checks
that every request begun after the restart succeeded. A control run without the checkout check shows the
stale pooled connections this guards against (core/pg_liveness.py). Skipped when PostgreSQL's binaries
are not installed.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eventsvc import create_app
from eventsvc.config import load_config
from eventsvc.extensions import db

BINS = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
pytestmark = pytest.mark.skipif(not BINS or shutil.which("runuser") is None and os.geteuid() == 0,
                                reason="PostgreSQL binaries not installed")
PORT = int(os.environ.get("PGTEST_RESTART_PORT", "54355"))


class Server:
    """One throwaway cluster; `restart()` is what an operator's `systemctl restart postgresql` does."""

    def __init__(self) -> None:
        self.bin = Path(BINS[-1]).parent
        self.dir = Path(tempfile.mkdtemp(prefix="eventsvc-pgrestart."))
        if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to the postgres user
            shutil.chown(self.dir, "postgres")
        self.data = self.dir / "data"

    def _run(self, *args: str) -> None:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-l", str(self.dir / "log"), "-o",
                  f"-p {PORT} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-m", "fast", "stop")

    def setup(self) -> str:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(PORT), "-U", "postgres", "restart_test")
        return f"postgresql+psycopg://postgres@127.0.0.1:{PORT}/restart_test"

    def cleanup(self) -> None:
        try:
            self.stop()
        except Exception:  # noqa: BLE001  (already stopped)
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def pg_url() -> Iterator[tuple[Server, str]]:
    server = Server()
    try:
        url = server.setup()
    except (subprocess.SubprocessError, OSError) as exc:
        server.cleanup()
        pytest.skip(f"cannot start PostgreSQL here: {exc}")
    yield server, url
    server.cleanup()


def _app(url: str, check: bool) -> Any:
    app = create_app({"TESTING": True, "PROPAGATE_EXCEPTIONS": False, "SQLALCHEMY_DATABASE_URI": url,
                      "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False, "pool_size": 4},
                      "DB_CHECKOUT_CHECK": check})
    with app.app_context():
        db.create_all()
    return app


def _hammer(app: Any, stop: threading.Event, log: list[tuple[float, int]]) -> None:
    client = app.test_client()
    while not stop.is_set():
        started = time.monotonic()
        try:
            status = client.get("/c/no-such-code").status_code  # a public page that reads the event table
        except Exception:  # noqa: BLE001  (an error the app let escape counts as a server error)
            status = 500
        log.append((started, status))
        time.sleep(0.005)


def _run_through_restart(server: Server, app: Any) -> tuple[list[tuple[float, int]], float]:
    """Requests from 4 threads before, during and after a restart; return the log and when the restart ended."""
    log: list[tuple[float, int]] = []
    stop = threading.Event()
    threads = [threading.Thread(target=_hammer, args=(app, stop, log)) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.5)  # every thread has a pooled connection now
    server.stop()
    server.start()
    restarted = time.monotonic()
    time.sleep(1.0)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    return log, restarted


def test_the_checkout_check_recovers_after_restart(pg_url: tuple[Server, str]) -> None:
    server, url = pg_url
    app = _app(url, check=True)
    assert app.test_client().get("/c/no-such-code").status_code == 404
    log, restarted = _run_through_restart(server, app)
    after = [status for started, status in log if started > restarted]
    assert len(after) > 20
    assert after.count(500) == 0, f"{after.count(500)} server errors after the restart"
    assert set(after) == {404}
    with app.app_context():
        db.engine.dispose()


def test_the_default_config_checks_connections_without_a_ping() -> None:
    settings = load_config({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@localhost/db"})
    assert settings["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is False
    assert settings["DB_CHECKOUT_CHECK"] is True


def test_without_the_check_stale_connections_fail(pg_url: tuple[Server, str]) -> None:
    """The control: the same restart without the check gives 500s afterwards, so the test above can fail."""
    server, url = pg_url
    app = _app(url, check=False)
    client = app.test_client()
    assert client.get("/c/no-such-code").status_code == 404
    server.stop()
    server.start()
    statuses = [client.get("/c/no-such-code").status_code for _ in range(3)]
    assert 500 in statuses
    with app.app_context():
        db.engine.dispose()
