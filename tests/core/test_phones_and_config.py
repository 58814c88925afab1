"""Phone numbers, masking, spreadsheet neutralizing and configuration."""
from __future__ import annotations

import logging

import pytest
from flask import Flask

from eventsvc import create_app
from eventsvc.core.phones import InvalidPhone, mask_phone, normalize_phone
from eventsvc.core.textsafe import neutralize_cell


@pytest.mark.parametrize("raw", ["13800138000", "138 0013 8000", "138-0013-8000", "+86 13800138000",
                                 "8613800138000", "１３８００１３８０００"])
def test_normalize_accepts_common_forms(raw: str) -> None:
    assert normalize_phone(raw) == "13800138000"


@pytest.mark.parametrize("raw", ["", "12800138000", "1380013800", "138001380001", "abc", "02188888888"])
def test_normalize_rejects_non_mobiles(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalize_phone(raw)


def test_mask() -> None:
    assert mask_phone("13812345678") == "138****5678"


@pytest.mark.parametrize("value", ["=1+1", "+SUM(A1)", "-2", "@cmd"])
def test_neutralize_formulas(value: str) -> None:
    assert neutralize_cell(value) == "'" + value
    assert neutralize_cell("张三") == "张三" and neutralize_cell(3) == 3


def test_production_requires_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTSVC_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("EVENTSVC_PAGE_SIZE", "50")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["PAGE_SIZE"] == 50


def test_errors_are_chinese_pages_without_traces(fresh_app: Flask) -> None:
    @fresh_app.route("/boom-test")
    def boom() -> str:
        raise ValueError("secret internals")

    client = fresh_app.test_client()
    resp = client.get("/boom-test")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 500 and "系统出现错误" in body and "secret internals" not in body
    assert "Traceback" not in body
    resp = client.get("/no-such-page")
    assert resp.status_code == 404 and "页面不存在" in resp.get_data(as_text=True)


def test_a_database_error_in_the_error_log_carries_no_phone_number(
        fresh_app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    """Issue 8 §8: error logs hold no SQL parameters, so no full phone number."""
    from sqlalchemy import text

    from eventsvc.extensions import db

    phone = "138" + "12345678"  # built at run time: the traceback's source lines must not hold it either

    @fresh_app.route("/db-boom-test")
    def db_boom() -> str:
        db.session.execute(text("SELECT * FROM no_such_table WHERE phone = :p"), {"p": phone})
        return "unreachable"

    with caplog.at_level(logging.ERROR):
        resp = fresh_app.test_client().get("/db-boom-test")
    assert resp.status_code == 500
    assert "no_such_table" in caplog.text  # the error is logged …
    assert phone not in caplog.text  # … without its parameters
