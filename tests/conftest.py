"""App, database, client and login fixtures: one app and one schema per run, emptied after every test."""
from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g, request_started
from flask.testing import FlaskClient, FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Integer, text

from eventsvc import create_app
from eventsvc.extensions import db as _db
from eventsvc.extensions import limiter
from tests.factories import *  # noqa: F403  (factory fixtures)
from tests.factories import TEST_PASSWORD

# In CI (CI=true) the property tests draw the same examples every run, so a red build is reproducible and
# never a matter of chance; locally they explore new examples each run.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashes() -> Iterator[None]:
    """Hash test passwords with few rounds: scrypt's default cost is for attackers, not for 1,000 tests."""
    from werkzeug import security

    import eventsvc.orgs.models as user_models

    def cheap(password: str, method: str = "pbkdf2:sha256:1000", salt_length: int = 8) -> str:
        return security.generate_password_hash(password, method="pbkdf2:sha256:1000", salt_length=salt_length)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(user_models, "generate_password_hash", cheap)
        yield


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """PostgreSQL when DATABASE_URL is set, else a SQLite file (threads need a shared file)."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def _forget_request_user(sender: Flask, **extra: Any) -> None:
    """Requests made inside a test share the test's app context, hence `g`: drop Flask-Login's cached user so
    each request loads it from its own cookies, as on a real server (one app context per request)."""
    g.pop("_login_user", None)


@pytest.fixture(scope="session")
def _session_app(database_url: str) -> Flask:
    """One app for the whole run: building one compiles ~50 URL rules (40 ms), too much to repeat per test."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False})
    request_started.connect(_forget_request_user, app)
    return app


@pytest.fixture(scope="session")
def _schema(_session_app: Flask) -> Iterator[None]:
    with _session_app.app_context():
        _db.drop_all()
        _db.create_all()
        yield
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


def _empty_tables() -> None:
    _db.session.remove()
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(_db.metadata.sorted_tables):
                conn.execute(table.delete())


Rows = dict[str, list[dict[str, Any]]]


def _snapshot_rows() -> Rows:
    """Copy every row of every table, parents first (ids ascending, so a tree's parents precede children)."""
    with _db.engine.connect() as conn:
        return {
            t.name: [dict(r._mapping) for r in conn.execute(t.select().order_by(*t.primary_key.columns))]
            for t in _db.metadata.sorted_tables
        }


def _restore_rows(rows: Rows) -> None:
    """Insert snapshot rows into the empty tables; on PostgreSQL move the id sequences past them."""
    with _db.engine.begin() as conn:
        for table in _db.metadata.sorted_tables:
            if not rows[table.name]:
                continue
            conn.execute(table.insert(), rows[table.name])
            if conn.dialect.name != "postgresql":
                continue  # SQLite picks max(rowid) + 1 by itself
            for col in table.primary_key.columns:
                if isinstance(col.type, Integer) and col.autoincrement in (True, "auto"):
                    quoted = conn.dialect.identifier_preparer.quote(table.name)
                    conn.execute(text(
                        f"SELECT setval(pg_get_serial_sequence(:t, :c), (SELECT MAX({col.name}) FROM {quoted}))"
                    ), {"t": quoted, "c": col.name})


@pytest.fixture
def app(_session_app: Flask, _schema: None) -> Iterator[Flask]:
    """The app on an empty database, in a fresh app context; CSRF off unless a test turns it on.

    Config changes a test makes are undone afterwards, so the one app behaves as a fresh one would.
    """
    saved = copy.deepcopy(dict(_session_app.config))
    with _session_app.app_context():
        yield _session_app
        _empty_tables()
        _db.engine.dispose()
    # Per-process state that a fresh app would not have: console SMS kept for the page, rate-limit counters.
    sender = _session_app.extensions.get("sms")
    if hasattr(sender, "clear"):
        sender.clear()
    if getattr(limiter, "_storage", None) is not None:  # only when a test turned limits on
        limiter.reset()
    _session_app.config.clear()
    _session_app.config.update(saved)


@pytest.fixture
def fresh_app(database_url: str, _schema: None) -> Iterator[Flask]:
    """An app of the test's own, for tests that add routes (a shared app refuses them after its first request)."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False})
    request_started.connect(_forget_request_user, app)
    with app.app_context():
        yield app
        _empty_tables()
        _db.engine.dispose()


@pytest.fixture
def db(app: Flask) -> SQLAlchemy:
    return _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def login(client: FlaskClient) -> Callable[..., FlaskClient]:
    """Log a user in on the test client: login(user) (factories set TEST_PASSWORD)."""

    def do_login(user: Any, password: str = TEST_PASSWORD) -> FlaskClient:
        client.post("/logout")
        resp = client.post("/login", data={"username": user.username, "password": password})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        # As a browser's next request would: it loads the user into the per-process cache (orgs/sessions.py),
        # so tests that count a page's queries count the page, not the first load of the user.
        assert client.get("/login").status_code == 302
        return client

    return do_login


@pytest.fixture(scope="session")
def _tree_rows(_session_app: Flask, _schema: None) -> tuple[Rows, dict[str, tuple[type, int]]]:
    """Build the organization tree once through the operations and keep its rows (see `tree`).

    Session fixtures are set up before the test's `app`, so the database is empty here.
    """
    from tests.factories import build_tree

    with _session_app.app_context():
        objects = build_tree()
        _db.session.commit()
        ids = {key: (type(obj), obj.id) for key, obj in objects.items()}
        rows = _snapshot_rows()
        _empty_tables()
    return rows, ids


@pytest.fixture
def tree(app: Flask, _tree_rows: tuple[Rows, dict[str, tuple[type, int]]]) -> dict[str, Any]:
    """District root, two streets (A with a community), and a user of each role where tests need one.

    Copied into the empty database from rows built once per run: the same ids, names and passwords each time.
    """
    rows, ids = _tree_rows
    _restore_rows(rows)
    return {key: _db.session.get(model, pk) for key, (model, pk) in ids.items()}


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests save screenshots and generated files for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
