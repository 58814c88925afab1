"""one_sqlite_writer: SQLite writers queue on a process lock (bounded) and a file lock shared by the worker
processes; other databases are left alone."""
from __future__ import annotations

import fcntl
import importlib
import os
import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest

from eventsvc.db import one_sqlite_writer

dbmod = importlib.import_module("eventsvc.db")  # `eventsvc.db` as an attribute is the SQLAlchemy extension


class _Session:
    def __init__(self, dialect: str, database: str | None = None) -> None:
        self.dialect, self.database, self.rollbacks = dialect, database, 0

    def get_bind(self) -> Any:
        return SimpleNamespace(dialect=SimpleNamespace(name=self.dialect),
                               engine=SimpleNamespace(url=SimpleNamespace(database=self.database)))

    def rollback(self) -> None:
        self.rollbacks += 1


def _hold(session: _Session, entered: threading.Event, release: threading.Event) -> threading.Thread:
    def run() -> None:
        with one_sqlite_writer(session):  # type: ignore[arg-type]
            entered.set()
            release.wait(5)

    thread = threading.Thread(target=run)
    thread.start()
    assert entered.wait(5)
    return thread


def _enter_after(session: _Session) -> float:
    started = time.monotonic()
    with one_sqlite_writer(session):  # type: ignore[arg-type]
        return time.monotonic() - started


def test_sqlite_writers_take_turns() -> None:
    entered, release = threading.Event(), threading.Event()
    holder = _hold(_Session("sqlite"), entered, release)
    threading.Timer(0.3, release.set).start()
    assert _enter_after(_Session("sqlite")) >= 0.25  # waited for the holder's commit
    holder.join()


def test_other_databases_do_not_wait() -> None:
    entered, release = threading.Event(), threading.Event()
    holder = _hold(_Session("sqlite"), entered, release)
    try:
        assert _enter_after(_Session("postgresql")) < 0.1
    finally:
        release.set()
        holder.join()


def test_the_wait_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dbmod, "_WRITER_WAIT_SECONDS", 0.2)
    entered, release = threading.Event(), threading.Event()
    holder = _hold(_Session("sqlite"), entered, release)
    try:
        assert 0.15 < _enter_after(_Session("sqlite")) < 2  # went ahead without the lock
    finally:
        release.set()
        holder.join()
    assert _enter_after(_Session("sqlite")) < 0.1  # and did not keep a lock it never had


def test_an_error_rolls_back_before_the_next_writer() -> None:
    session = _Session("sqlite")
    with pytest.raises(ValueError), one_sqlite_writer(session):  # type: ignore[arg-type]
        raise ValueError("refused")
    assert session.rollbacks == 1
    assert _enter_after(_Session("sqlite")) < 0.1  # released


def _gate_taken(path: str) -> bool:
    """Tell whether another open file description (as another worker process has) finds the gate locked."""
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops a lock taken here
    return False


def test_worker_processes_share_a_file_gate(tmp_path: Any) -> None:
    database = str(tmp_path / "app.sqlite3")
    session = _Session("sqlite", database)
    with one_sqlite_writer(session):  # type: ignore[arg-type]
        assert _gate_taken(database + ".writer")  # another process would wait here, in the kernel
    assert not _gate_taken(database + ".writer")  # released with the commit
    with pytest.raises(ValueError), one_sqlite_writer(session):  # type: ignore[arg-type]
        raise ValueError("refused")
    assert not _gate_taken(database + ".writer") and session.rollbacks == 1  # released on an error too


def test_an_unwritable_folder_only_loses_the_gate(tmp_path: Any) -> None:
    session = _Session("sqlite", str(tmp_path / "missing-folder" / "app.sqlite3"))
    with one_sqlite_writer(session):  # type: ignore[arg-type]
        pass  # no gate file can be made there: SQLite's own locking decides, nothing fails
    assert not (tmp_path / "missing-folder").exists()
