"""Bad input gets a clear 400 (or 404), never a 500: bounded URL ids, one JSON parser, control characters.

Everything here works at the shared layer (a URL converter, one before-request check, one JSON parser,
form validators) so a view never has to defend itself against 20-digit ids, NUL bytes or 10,000-deep JSON.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Flask, current_app, request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, Map
from wtforms import DecimalField
from wtforms.validators import ValidationError

DB_INT_MAX = 2**31 - 1  # INTEGER columns on PostgreSQL: primary keys, counts, capacities
# Primary keys are INTEGER: a larger id cannot exist, so it is "not found" rather than a PostgreSQL
# "integer out of range" (psycopg casts the bound id to the column's type).
MAX_ID = DB_INT_MAX
JSON_MAX_INT = 2**63 - 1  # epoch milliseconds need more than 32 bits; nothing needs more than 64
JSON_MAX_BYTES = 1024 * 1024  # the scanner's biggest offline batch (500 scans) is ~150 KB
JSON_MAX_DEPTH = 20
JSON_MAX_ITEMS = 20_000  # values in one body, counted while walking it
FIRST_YEAR, LAST_YEAR = 2000, 2100
_JSON_KEY = "eventsvc.json_body"

# C0/C1 control characters and lone surrogates; tab, newline and carriage return are allowed in form fields.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_HUGE_NUMBER = re.compile(r"^\s*[+-]?\d{19,}\s*$")  # beyond 64 bits; 18-digit ID numbers still pass

BAD_PATH = "网址中含有无效字符，请检查链接是否完整。"
BAD_QUERY = "查询参数中含有无效字符（如控制字符），请检查后重试。"
BAD_FIELD = "填写的内容中含有无效字符（如控制字符），请删除后重新提交。"
HUGE_NUMBER = "填写的数字太大，请检查后重试。"


class BadInput(BadRequest):
    """A 400 whose Chinese message is shown to the user as is (errors.py answers with it)."""

    def __init__(self, message: str, code: str = "bad_input") -> None:
        super().__init__(description=message)
        self.error_code = code


class IdConverter(IntegerConverter):
    """Flask's `int` converter, bounded to 1..MAX_ID: any other number in a URL is a plain 404."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits, 1 if min is None else min, MAX_ID if max is None else max, signed)


def clean_text(value: str) -> str:
    """Drop control characters (keeping tab and newlines) and lone surrogates from imported text."""
    return _CONTROL_IN_TEXT.sub("", value)


def check_request() -> None:
    """Refuse paths, query strings and form fields with control characters or numbers beyond 64 bits."""
    if _CONTROL.search(request.path):
        raise BadInput(BAD_PATH, "bad_path")
    for key, value in request.args.items(multi=True):
        if _CONTROL.search(key) or _CONTROL.search(value):
            raise BadInput(BAD_QUERY, "bad_query")
        if _HUGE_NUMBER.match(value):
            raise BadInput(HUGE_NUMBER, "bad_number")
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for key, value in request.form.items(multi=True):
                if _CONTROL.search(key) or _CONTROL_IN_TEXT.search(value):
                    raise BadInput(BAD_FIELD, "bad_field")
                if _HUGE_NUMBER.match(value):
                    raise BadInput(HUGE_NUMBER, "bad_number")
        elif request.is_json:
            json_body()  # parsed (and refused) once, before any view or rate-limit key reads it


def json_body() -> Any:
    """Return the request's JSON, parsed within size/depth limits; raise BadInput (400) when it is not.

    Strings may not hold control characters or lone surrogates (PostgreSQL refuses NUL), and integers must
    fit 64 bits (ids and epoch milliseconds do), so nothing in a parsed body can break a query.
    """
    if _JSON_KEY in request.environ:  # per request, not g: an app context may outlive one request
        return request.environ[_JSON_KEY]
    limit = int(current_app.config.get("JSON_MAX_BYTES", JSON_MAX_BYTES))
    if request.content_length is not None and request.content_length > limit:
        raise BadInput(f"请求内容太大（超过 {limit // 1024} KB）。", "json_too_large")
    raw = request.get_data(cache=True)
    if len(raw) > limit:
        raise BadInput(f"请求内容太大（超过 {limit // 1024} KB）。", "json_too_large")
    try:
        data = json.loads(raw, parse_constant=_not_json) if raw.strip() else None
    except RecursionError:  # the C parser stops near 1,000 levels; the walk below refuses past 20
        raise BadInput(f"请求内容嵌套太深（最多 {JSON_MAX_DEPTH} 层）。", "json_too_deep") from None
    except ValueError:
        raise BadInput("请求内容不是有效的 JSON。", "bad_json") from None
    _check_values(data)
    request.environ[_JSON_KEY] = data
    return data


def _not_json(constant: str) -> Any:
    """NaN and ±Infinity are Python's extensions, not JSON: a NaN passes every comparison as false."""
    raise ValueError(f"{constant} is not JSON")


def _check_values(data: Any) -> None:
    stack: list[tuple[Any, int]] = [(data, 1)]
    seen = 0
    while stack:
        value, depth = stack.pop()
        seen += 1
        if seen > JSON_MAX_ITEMS:
            raise BadInput("请求内容包含的数据项太多。", "json_too_large")
        if isinstance(value, (dict, list)) and depth > JSON_MAX_DEPTH:
            raise BadInput(f"请求内容嵌套太深（最多 {JSON_MAX_DEPTH} 层）。", "json_too_deep")
        if isinstance(value, dict):
            for key, item in value.items():
                _check_string(key)
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            _check_string(value)
        elif isinstance(value, int) and not isinstance(value, bool) and not -JSON_MAX_INT - 1 <= value <= JSON_MAX_INT:
            raise BadInput("请求中的数字超出范围。", "bad_number")


def _check_string(value: str) -> None:
    if _CONTROL_IN_TEXT.search(value):
        raise BadInput("请求内容中含有无效字符（如控制字符）。", "bad_text")


def parse_id(raw: str | None) -> int | None:
    """Return a typed id (1..MAX_ID), or None when empty, unreadable or out of range.

    Use it instead of `raw.isdigit()` + `int(raw)`: "²" passes isdigit() and breaks int(), and a 20-digit
    number overflows the database's integer.
    """
    try:
        value = int((raw or "").strip())
    except ValueError:
        return None
    return value if 1 <= value <= MAX_ID else None


def int_arg(name: str) -> int | None:
    """Return a query-string id (1..MAX_ID), or None when absent, unreadable or out of range."""
    return parse_id(request.args.get(name, ""))


def parse_day(raw: str | None) -> datetime | None:
    """Parse a YYYY-MM-DD query value; None when unreadable or outside FIRST_YEAR..LAST_YEAR (no overflow)."""
    try:
        day = datetime.strptime((raw or "").strip(), "%Y-%m-%d")
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


def date_in_range(first_year: int = FIRST_YEAR, last_year: int = LAST_YEAR) -> Callable[[Any, Any], None]:
    """WTForms validator: a date or time must fall in first_year..last_year (year 0001 would overflow)."""

    def check(form: Any, field: Any) -> None:
        value = field.data
        if isinstance(value, (date, datetime)) and not first_year <= value.year <= last_year:
            raise ValidationError(f"日期应在 {first_year}–{last_year} 年之间")

    return check


def int_at_most(maximum: int = DB_INT_MAX, message: str = "数字太大，请检查后重新填写") -> Callable[[Any, Any], None]:
    """WTForms validator: an integer may not exceed what its database column holds."""

    def check(form: Any, field: Any) -> None:
        if isinstance(field.data, int) and field.data > maximum:
            raise ValidationError(message)

    return check


class FiniteDecimalField(DecimalField):
    """A DecimalField that takes "NaN", "sNaN" and "Infinity" as unparsable, like any other non-number.

    Python's Decimal reads them, and then every bound check fails with InvalidOperation (a NaN cannot be
    ordered): without this, typing NaN into a figure was a 500.
    """

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        value: Decimal | None = getattr(self, "data", None)  # typed here: the stubs leave it undetermined
        if value is not None and not value.is_finite():
            self.data = None
            raise ValueError(self.invalid_value_message or self.gettext("Not a valid decimal value."))


def init_input_checks(app: Flask) -> None:
    """Bound every `<int:…>` URL id and run check_request before any other hook (rate-limit keys included)."""
    app.url_map.converters["int"] = IdConverter
    app.before_request_funcs.setdefault(None, []).insert(0, check_request)
