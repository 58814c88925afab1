"""A ledger's check-in sheet written as XML directly still reads back as openpyxl would have written it."""
from __future__ import annotations

import io
from datetime import datetime, timedelta

from openpyxl import load_workbook

from eventsvc.reports import queries
from eventsvc.reports.records import ProgramCheckIn, RosterRow
from eventsvc.reports.xlsx_export import write_ledger_xlsx

START = datetime(2026, 7, 1, 1, 0)  # 09:00 China time
LEDGER = queries.LedgerData(program="夏送清凉", year=2026, owner="区总工会", scope_label="全区",
                            achieved=queries.Totals(1, 3, 3))


def _ledger_book(lines: list[ProgramCheckIn]):  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    write_ledger_xlsx(buf, LEDGER, iter(lines), mask=False)
    return load_workbook(io.BytesIO(buf.getvalue()))


def test_odd_text_dates_and_sheet_layout_survive():
    person = RosterRow(" 李<四> & 子\x07", "13700001111", "A&B 站点 ", "=快递员", START, "扫码自助",
                       START + timedelta(minutes=45))
    book = _ledger_book([ProgramCheckIn(START, "活动 <一>", "布吉街道总工会", person),
                         ProgramCheckIn(START, "活动 <一>", "布吉街道总工会", RosterRow("王五", "13700002222", "", "",
                                                                                 START, "现场补录"))])
    ws = book["签到明细"]
    assert ws.max_row == 3 and ws.freeze_panes == "A2" and ws.column_dimensions["B"].width == 32
    assert ws["A1"].value == "活动日期" and ws["A1"].font.bold
    first = [c.value for c in ws[2]]
    assert first[:7] == [datetime(2026, 7, 1, 9, 0), "活动 <一>", "布吉街道总工会", " 李<四> & 子", "13700001111",
                         "A&B 站点 ", "'=快递员"]
    assert first[7:] == [datetime(2026, 7, 1, 9, 0), "扫码自助", datetime(2026, 7, 1, 9, 45), 45]
    assert ws["A2"].number_format == "yyyy-mm-dd" and ws["H2"].number_format == "yyyy-mm-dd hh:mm"
    assert [c.value for c in ws[3]][5:] == [None, None, datetime(2026, 7, 1, 9, 0), "现场补录", None, None]
    assert book.sheetnames[:2] == ["目标与进度", "活动场次"]  # the other sheets are openpyxl's, untouched


def test_no_check_ins_leaves_only_the_header():
    ws = _ledger_book([])["签到明细"]
    assert ws.max_row == 1 and ws["A1"].value == "活动日期" and ws["A2"].value is None
