"""Whatever is uploaded, a broken file answers 400 with a Chinese message and stores nothing."""
from __future__ import annotations

import io
import os
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from eventsvc.extensions import db
from eventsvc.imports.models import ImportPreview
from tests.imports.sheets import filled_template, upload


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _rezip(xlsx: bytes, name: str, data: bytes) -> bytes:
    """Return the workbook with one member replaced."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    files[name] = data
    return _zip(files)


def _workbook(*rows: list[str]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


NOT_XLSX, UNREADABLE = "只支持 .xlsx 格式的 Excel 文件", "文件无法读取，请确认是用 Excel 保存的 .xlsx 文件"
CASES = {
    "empty file": (lambda good: b"", NOT_XLSX),
    "random bytes": (lambda good: os.urandom(4096), NOT_XLSX),
    "zip header only": (lambda good: b"PK\x03\x04 not really a zip", UNREADABLE),
    "truncated workbook": (lambda good: good[: len(good) // 2], UNREADABLE),
    "zip without a workbook": (lambda good: _zip({"hello.txt": b"hi"}), UNREADABLE),
    "a Word document": (lambda good: _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}),
                        UNREADABLE),
    "broken sheet XML": (lambda good: _rezip(good, "xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row>"),
                         UNREADABLE),
    "broken workbook XML": (lambda good: _rezip(good, "xl/workbook.xml", b"\x00\xff garbage"), UNREADABLE),
    "no rows at all": (lambda good: _workbook(), "表格是空的"),
    "header only": (lambda good: _workbook(["姓名", "手机号"]), "表格中没有填写任何签到记录"),
    "wrong header": (lambda good: _workbook(["序号", "名字不对"], ["1", "张三"]), "“姓名”和“手机号”"),
}


@pytest.mark.parametrize("case", CASES)
def test_broken_upload_answers_400_in_chinese(client, login, tree, street_event, case):
    event = street_event(people=0)
    login(tree["org_a"])
    good = filled_template(client, event, [["张三", "13800001111", "", "", None]])
    make, message = CASES[case]
    resp = upload(client, event, make(good))
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ImportPreview.id))) == 0
