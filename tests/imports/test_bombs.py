"""Hostile xlsx uploads (issue 8 §4): refused quickly with a clear message, within bounded memory and time."""
from __future__ import annotations

import io
import time
import tracemalloc
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from eventsvc.extensions import db
from eventsvc.imports.models import ImportPreview
from eventsvc.imports.xlsx import ImportFileError, read_rows
from tests.imports.sheets import upload

ALIASES = {"name": ("姓名",), "phone": ("手机号",)}


def _workbook(*rows: tuple[str, str]) -> bytes:
    book = Workbook()
    book.active.append(["姓名", "手机号"])
    for row in rows or (("张三", "13812345678"),):
        book.active.append(list(row))
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _rezip(xlsx: bytes, replace: dict[str, bytes], level: int = 9) -> bytes:
    with zipfile.ZipFile(io.BytesIO(xlsx)) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    files.update(replace)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _sheet(rows_xml: str, dimension: str = "A1:B2") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{rows_xml}</sheetData></worksheet>'
    ).encode()


def _inline_row(r: int, *texts: str) -> str:
    cells = "".join(f'<c r="{"AB"[i]}{r}" t="inlineStr"><is><t>{t}</t></is></c>' for i, t in enumerate(texts))
    return f'<row r="{r}">{cells}</row>'


SHEET = "xl/worksheets/sheet1.xml"
HEADER = _inline_row(1, "姓名", "手机号")


def _read(data: bytes) -> list[dict[str, object]]:
    return read_rows(data, ALIASES, required=("name", "phone"), missing_columns="缺列", empty="空", max_rows=2000)


def _refused(data: bytes) -> tuple[str, float, int]:
    """Return (message, seconds, peak bytes allocated) of a refused parse."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(ImportFileError) as info:
            _read(data)
        return info.value.message, time.monotonic() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_huge_shared_string_is_refused_before_parsing(app) -> None:  # type: ignore[no-untyped-def]
    good = _workbook()
    shared = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
              f'<si><t>{"A" * 60_000_000}</t></si></sst>').encode()
    bomb = _rezip(good, {"xl/sharedStrings.xml": shared})
    assert len(bomb) < 1_000_000  # ~60 KB on disk, 60 MB inflated
    message, seconds, peak = _refused(bomb)
    assert "解压后超过" in message
    assert seconds < 5 and peak < 50_000_000


def test_empty_row_bomb_stops_at_the_cell_budget(app) -> None:  # type: ignore[no-untyped-def]
    empty = "".join(f'<row r="{r}"/>' for r in range(2, 400_000))
    rows = HEADER + empty + _inline_row(400_000, "张三", "13812345678")
    bomb = _rezip(_workbook(), {SHEET: _sheet(rows, "A1:XFD1048576")}, level=9)
    message, seconds, _ = _refused(bomb)
    assert "单元格或空行太多" in message or "超时" in message
    assert seconds < 20


def test_empty_row_bomb_through_the_dimension_alone(app) -> None:  # type: ignore[no-untyped-def]
    """One real row far down: read-only openpyxl pads every row in between, which the budget counts."""
    rows = HEADER + _inline_row(1_048_576, "张三", "13812345678")
    bomb = _rezip(_workbook(), {SHEET: _sheet(rows, "A1:XFD1048576")})
    message, seconds, _ = _refused(bomb)
    assert "单元格或空行太多" in message
    assert seconds < 20


def test_entity_expansion_is_refused(app) -> None:  # type: ignore[no-untyped-def]
    lol = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
           + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
           + ']><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol9;</t></si></sst>')
    bomb = _rezip(_workbook(), {"xl/sharedStrings.xml": lol.encode()})
    message, seconds, _ = _refused(bomb)
    assert "文件结构异常" in message
    assert seconds < 2


def test_utf16_doctype_is_refused_too(app) -> None:  # type: ignore[no-untyped-def]
    xml = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><sst/>'.encode("utf-16")
    bomb = _rezip(_workbook(), {"xl/sharedStrings.xml": xml})
    assert "文件结构异常" in _refused(bomb)[0]


def test_u_ffff_and_escaped_control_characters_never_reach_the_database(app) -> None:  # type: ignore[no-untyped-def]
    rows = HEADER + _inline_row(2, "张_x0000_三_xD800_", "13812345678") + _inline_row(3, "李\uffff四", "13812345679")
    sheet = _rezip(_workbook(), {SHEET: _sheet(rows)})
    try:
        result = _read(sheet)
    except ImportFileError as exc:  # refusing the file outright is acceptable too: XML forbids U+FFFF
        assert exc.message
        return
    names = [row["name"] for row in result]
    assert all("\x00" not in n and "\ud800" not in n for n in names)


def test_a_cell_longer_than_the_limit_is_refused_with_its_line(app) -> None:  # type: ignore[no-untyped-def]
    rows = HEADER + _inline_row(2, "张" * 5000, "13812345678")
    sheet = _rezip(_workbook(), {SHEET: _sheet(rows)})
    assert "第 2 行有一格内容超过 2000 字" in _refused(sheet)[0]


def test_a_bomb_uploaded_through_the_page_is_a_400_and_stores_nothing(login, tree, street_event) -> None:  # type: ignore[no-untyped-def]
    event = street_event()
    shared = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
              f'<si><t>{"A" * 80_000_000}</t></si></sst>').encode()
    bomb = _rezip(_workbook(), {"xl/sharedStrings.xml": shared})
    resp = upload(login(tree["org_a"]), event, bomb)
    assert resp.status_code == 400
    assert "解压后超过" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ImportPreview)) == 0


def test_an_ordinary_template_still_reads(app) -> None:  # type: ignore[no-untyped-def]
    rows = _read(_workbook(("张三", "13812345678"), ("李四", "13812345679")))
    assert [r["name"] for r in rows] == ["张三", "李四"]
