"""Bulk rows of an openpyxl write-only workbook written as sheet XML directly.

openpyxl spends ~70 µs on each row of a large sheet (cell objects, styles, its XML writer); a program's
ledger can hold 100 k check-ins. So openpyxl still builds every sheet's frame (column widths, the frozen
bold header, the styles part) plus one probe row whose cells carry the number formats the bulk rows need,
and `save_with_rows` then copies the small saved workbook into `out`, replacing that probe row by the
rows, rendered here as plain strings (~7 µs a row) and compressed as they come.
"""
from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

PROBE = datetime(2000, 1, 1)  # a probe row's dates: only their styles are kept
_EPOCH = datetime(1899, 12, 30)  # Excel's day 0 (1900 date system, as openpyxl writes)
_ILLEGAL = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32)])  # not allowed in XML 1.0: dropped
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_PROBE_ROW = re.compile(r'<row r="2"[^>]*>.*?</row>', re.S)
_PROBE_STYLE = re.compile(r'<c r="([A-Z]+)2" s="(\d+)"')
_BATCH = 500  # rows joined per write
_TEXT_CACHE = 20_000  # distinct strings remembered per sheet (bounded: memory stays flat)


def _serial(value: datetime | date) -> float:
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    delta = value - _EPOCH
    return delta.days + (delta.seconds + delta.microseconds / 1_000_000) / 86400


def _text_body(value: str) -> str:
    """Return the <is> element of an inline string: escaped, illegal characters dropped, spaces kept."""
    value = value.translate(_ILLEGAL).translate(_ESCAPES)
    space = ' xml:space="preserve"' if value != value.strip() else ""
    return f"<is><t{space}>{value}</t></is>"


class _RowWriter:
    """Render rows as <row> elements, styling dates and numbers as the probe row's cells were."""

    def __init__(self, styles: dict[str, str], width: int) -> None:
        self.letters = [get_column_letter(i) for i in range(1, width + 1)]
        self.styles = {letter: f' s="{styles[letter]}"' if letter in styles else "" for letter in self.letters}
        self.texts: dict[str, str] = {}  # titles, units, labels repeat on every row: escape each once

    def _text(self, ref: str, value: str) -> str:
        body = self.texts.get(value)
        if body is None:
            body = _text_body(value)
            if len(self.texts) < _TEXT_CACHE:
                self.texts[value] = body
        return f'<c r="{ref}" t="inlineStr">{body}</c>'

    def render(self, number: int, values: Sequence[Any]) -> str:
        cells = []
        for letter, value in zip(self.letters, values, strict=False):
            if value is None or value == "":
                continue
            ref = f"{letter}{number}"
            if isinstance(value, str):
                cells.append(self._text(ref, value))
            elif isinstance(value, date):
                cells.append(f'<c r="{ref}"{self.styles[letter]}><v>{_serial(value)}</v></c>')
            elif isinstance(value, bool):
                cells.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, int | float):
                cells.append(f'<c r="{ref}"{self.styles[letter]}><v>{value}</v></c>')
            else:
                cells.append(self._text(ref, str(value)))
        return f'<row r="{number}">{"".join(cells)}</row>'


def _write_sheet(frame: str, rows: Iterable[Sequence[Any]], out: IO[bytes]) -> None:
    """Write the sheet XML `frame` with its probe row (row 2) replaced by `rows`, numbered from 2."""
    probe = _PROBE_ROW.search(frame)
    if probe is None:
        raise ValueError("the sheet has no probe row")
    styles = dict(_PROBE_STYLE.findall(probe.group(0)))
    out.write(frame[:probe.start()].encode())
    writer: _RowWriter | None = None
    batch: list[str] = []
    for number, values in enumerate(rows, start=2):
        if writer is None:
            writer = _RowWriter(styles, len(values))
        batch.append(writer.render(number, values))
        if len(batch) >= _BATCH:
            out.write("".join(batch).encode())
            batch = []
    out.write("".join(batch).encode())
    out.write(frame[probe.end():].encode())


def save_with_rows(wb: Workbook, out: IO[bytes], sheet_title: str, rows: Iterable[Sequence[Any]]) -> None:
    """Save `wb` into `out`, the sheet titled `sheet_title` holding `rows` (read once) after its header.

    That sheet must have been given exactly a header row and a probe row, whose date/number cells
    carry the styles of their columns (e.g. made with PROBE through the sheet's usual cell helpers).
    """
    frame = io.BytesIO()
    wb.save(frame)
    # openpyxl names worksheet parts by position: sheet1.xml, sheet2.xml, ...
    part = f"xl/worksheets/sheet{wb.sheetnames.index(sheet_title) + 1}.xml"
    with zipfile.ZipFile(frame) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != part:
                dst.writestr(info, src.read(info.filename))
                continue
            entry = zipfile.ZipInfo(part, date_time=info.date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            with dst.open(entry, "w") as sheet:
                _write_sheet(src.read(part).decode(), rows, sheet)
