"""Reading the first sheet of an uploaded xlsx into text rows, by header names people actually type."""
from __future__ import annotations

import io
import warnings
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

from openpyxl import load_workbook

from eventsvc.core.exceptions import OperationError

NOT_XLSX = "只支持 .xlsx 格式的 Excel 文件；.xls 或 .csv 请在 Excel 中“另存为 .xlsx”后再上传。"
UNREADABLE = "文件无法读取，请确认是用 Excel 保存的 .xlsx 文件。"


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
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone typed as a number comes back as 13812345678.0
    return str(value).strip()


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
    lines = sheets[0].iter_rows(values_only=True) if sheets else iter(())
    header = next(lines, None)
    if header is None:
        raise ImportFileError("表格是空的。", code="empty")
    cols = _columns(header, aliases)
    if any(key not in cols for key in required):
        raise ImportFileError(missing_columns, code="bad_header")
    result: list[dict[str, Any]] = []
    for line, values in enumerate(lines, start=2):
        cells = {key: cell_text(values[i]) if i < len(values) else "" for key, i in cols.items()}
        if not any(cells.values()):
            continue
        if len(result) >= max_rows:
            raise ImportFileError(f"一次最多导入 {max_rows} 行，请分成几个文件上传。", code="too_many")
        result.append({"line": line, **{key: cells.get(key, "") for key in aliases}})
    if not result:
        raise ImportFileError(empty, code="empty")
    return result
