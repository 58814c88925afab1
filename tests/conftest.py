"""App, database, client and login fixtures: one schema per run, emptied after every test."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from eventsvc import create_app
from eventsvc.extensions import db as _db
from tests.factories import *  # noqa: F401,F403  (factory fixtures)

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


@pytest.fixture(scope="session")
def _schema(database_url: str) -> Iterator[None]:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
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


@pytest.fixture
def app(_schema: None, database_url: str) -> Iterator[Flask]:
    """A fresh app on an empty database; CSRF off unless a test turns it on."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        yield app
        _empty_tables()
        _db.engine.dispose()


@pytest.fixture
def db(app: Flask):  # type: ignore[no-untyped-def]
    return _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@pytest.fixture
def login(client: FlaskClient):  # type: ignore[no-untyped-def]
    """Log a user in on the test client: login(user) (factories set password 'password123')."""

    def do_login(user, password: str = "password123") -> FlaskClient:  # type: ignore[no-untyped-def]
        client.post("/logout")
        resp = client.post("/login", data={"username": user.username, "password": password})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return client

    return do_login


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests save screenshots and generated files for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
