"""Reading the first sheet of an uploaded xlsx into text rows, by header names people actually type."""
from __future__ import annotations

import io
import time as clock
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

from flask import current_app, has_app_context

from eventsvc.core.exceptions import OperationError
from eventsvc.core.inputs import clean_text

NOT_XLSX = "只支持 .xlsx 格式的 Excel 文件；.xls 或 .csv 请在 Excel 中“另存为 .xlsx”后再上传。"
UNREADABLE = "文件无法读取，请确认是用 Excel 保存的 .xlsx 文件。"
# Resource limits (config XLSX_*): a 300 KB upload can otherwise expand to gigabytes or minutes of parsing.
LIMIT_DEFAULTS = {"XLSX_MAX_UNCOMPRESSED_BYTES": 50 * 1024 * 1024, "XLSX_MAX_RATIO": 100,
                  "XLSX_MAX_CELLS": 500_000, "XLSX_MAX_TEXT": 2000, "XLSX_MAX_SECONDS": 20}
MAX_COLUMNS = 64  # columns read per row; every sheet we import has fewer than 20
MAX_MEMBERS = 1000
RATIO_FLOOR = 1024 * 1024  # small members (styles, a short sheet) may compress very well; only big ones count
TOO_BIG = "文件内容太大（解压后超过 {mb} MB），请只保留需要导入的工作表后再上传。"
SUSPICIOUS = "文件结构异常，无法导入，请用 Excel 重新保存为 .xlsx 后再上传。"


class ImportFileError(OperationError):
    """The uploaded file cannot be read as the expected sheet."""


def cell_text(value: Any) -> str:
    """Return a cell as the text staff typed (dates and numbers as Excel shows them)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e18:
        return str(int(value))  # a phone typed as a number comes back as 13812345678.0
    return clean_text(str(value)).strip()  # NUL or a lone surrogate (_xD800_) would break the database


def _columns(header: Sequence[Any], aliases: Mapping[str, Sequence[str]]) -> dict[str, int]:
    names = [cell_text(h).replace(" ", "").replace("*", "") for h in header]
    found: dict[str, int] = {}
    for key, accepted in aliases.items():
        for i, name in enumerate(names):
            if name in accepted:
                found[key] = i
                break
    return found


def read_rows(
    data: bytes,
    aliases: Mapping[str, Sequence[str]],
    *,
    required: Sequence[str],
    missing_columns: str,
    empty: str,
    max_rows: int,
) -> list[dict[str, Any]]:
    """Return the filled-in lines of the first sheet as {"line": n, key: text, ...}.

    `aliases` maps our keys to accepted header names; a header without all `required` keys raises
    ImportFileError(missing_columns), a sheet without data rows ImportFileError(empty).
    """
    if not data.startswith(b"PK"):
        raise ImportFileError(NOT_XLSX, code="not_xlsx")
    check_archive(data)
    from openpyxl import load_workbook  # here, not at module level: most workers never read a sheet

    try:
        with warnings.catch_warnings():
            # Excel-made files carry extensions openpyxl only warns about; they do not matter here.
            warnings.simplefilter("ignore")
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                return _read(book, aliases, required, missing_columns, empty, max_rows)
            finally:
                book.close()
    except ImportFileError:
        raise
    except Exception:  # noqa: BLE001  (an upload can break openpyxl in any of a dozen ways; none is a 500)
        raise ImportFileError(UNREADABLE, code="unreadable") from None


def _read(
    book: Any,
    aliases: Mapping[str, Sequence[str]],
    required: Sequence[str],
    missing_columns: str,
    empty: str,
    max_rows: int,
) -> list[dict[str, Any]]:
    sheets = book.worksheets
    lines = sheets[0].iter_rows(values_only=True, max_col=MAX_COLUMNS) if sheets else iter(())
    header = next(lines, None)
    if header is None:
        raise ImportFileError("表格是空的。", code="empty")
    cols = _columns(header, aliases)
    if any(key not in cols for key in required):
        raise ImportFileError(missing_columns, code="bad_header")
    result: list[dict[str, Any]] = []
    budget = _ReadBudget()
    for line, values in enumerate(lines, start=2):
        budget.spend(len(values), line)
        cells = {key: cell_text(values[i]) if i < len(values) else "" for key, i in cols.items()}
        if any(len(text) > budget.max_text for text in cells.values()):
            raise ImportFileError(f"第 {line} 行有一格内容超过 {budget.max_text} 字，请检查后再上传。",
                                  code="too_long")
        if not any(cells.values()):
            continue
        if len(result) >= max_rows:
            raise ImportFileError(f"一次最多导入 {max_rows} 行，请分成几个文件上传。", code="too_many")
        result.append({"line": line, **{key: cells.get(key, "") for key in aliases}})
    if not result:
        raise ImportFileError(empty, code="empty")
    return result


def _limit(name: str) -> int:
    config = current_app.config if has_app_context() else {}
    return int(config.get(name, LIMIT_DEFAULTS[name]))


def check_archive(data: bytes) -> None:
    """Refuse a zip whose declared sizes, compression ratio or XML prologue could exhaust the parser.

    Runs before openpyxl opens anything: zipfile never inflates a member past its declared size, so
    bounding the declared sizes bounds the memory. DTDs (entity expansion) have no place in an xlsx.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise ImportFileError(UNREADABLE, code="unreadable") from None
    max_total, max_ratio = _limit("XLSX_MAX_UNCOMPRESSED_BYTES"), _limit("XLSX_MAX_RATIO")
    if len(members) > MAX_MEMBERS:
        raise ImportFileError(SUSPICIOUS, code="suspicious")
    total = 0
    for info in members:
        total += info.file_size
        if total > max_total:
            raise ImportFileError(TOO_BIG.format(mb=max_total // (1024 * 1024)), code="too_big")
        if info.file_size > RATIO_FLOOR and info.file_size > max_ratio * max(info.compress_size, 1):
            raise ImportFileError(SUSPICIOUS, code="suspicious")
    with archive:
        for info in members:
            if not info.filename.endswith((".xml", ".rels", ".vml")):
                continue
            try:
                with archive.open(info) as member:
                    head = member.read(4096).replace(b"\x00", b"").upper()  # UTF-16 XML too
            except Exception:  # noqa: BLE001  (bad CRC, unsupported compression, encrypted: all unreadable)
                raise ImportFileError(UNREADABLE, code="unreadable") from None
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise ImportFileError(SUSPICIOUS, code="suspicious")


class _ReadBudget:
    """Cells and seconds a parse may spend; an empty-row bomb runs out of one of them quickly."""

    def __init__(self) -> None:
        self.cells_left = _limit("XLSX_MAX_CELLS")
        self.max_text = _limit("XLSX_MAX_TEXT")
        self.deadline = clock.monotonic() + _limit("XLSX_MAX_SECONDS")

    def spend(self, cells: int, line: int) -> None:
        self.cells_left -= max(cells, 1)
        if self.cells_left < 0:
            raise ImportFileError("表格太大（单元格或空行太多），请删去多余的行列，或分成几个文件上传。",
                                  code="too_big")
        if line % 256 == 0 and clock.monotonic() > self.deadline:
            raise ImportFileError("表格读取超时，请删去多余的行列，或分成几个文件上传。", code="too_slow")
