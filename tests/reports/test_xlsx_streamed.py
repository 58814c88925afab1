"""Streamed exports: builders fed by iterators, rows fetched in batches, files sent from a spool."""
from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta

from openpyxl import load_workbook

from eventsvc.reports import queries, streaming
from eventsvc.reports.records import EventHeader, ProgramCheckIn, RosterRow
from eventsvc.reports.xlsx_export import write_event_checkins_xlsx, write_ledger_xlsx
from tests.reports.conftest import pdf_text

START = datetime(2026, 7, 1, 1, 0)  # 09:00 China time
HEADER = EventHeader("夏送清凉", "布吉环卫所慰问", START, START + timedelta(hours=2), "布吉环卫所", "布吉街道总工会")


def _people(n: int) -> Iterator[RosterRow]:
    for i in range(n):
        name = "=CMD()" if i == 7 else f"环卫{i:05d}"
        yield RosterRow(name, f"1370000{i % 10000:04d}", "-布吉环卫所", "环卫工人", START + timedelta(seconds=i),
                        "扫码自助", START + timedelta(seconds=i, minutes=90) if i % 2 else None)


def test_twenty_thousand_rows_stream_from_an_iterator_and_read_back():
    with tempfile.SpooledTemporaryFile(max_size=1024) as out:  # small spool: the file goes to disk
        write_event_checkins_xlsx(out, HEADER, _people(20_000))
        out.seek(0)
        book = load_workbook(out, read_only=True)
        rows = list(book["签到明细"].iter_rows(min_row=2, values_only=True))
        info = {label: value for label, value in book["活动信息"].iter_rows(values_only=True)}
        book.close()
    assert len(rows) == 20_000
    assert [r[0] for r in rows[:3]] == [1, 2, 3] and rows[-1][0] == 20_000
    assert rows[-1][1] == "环卫19999" and rows[-1][2] == "137****9999"
    assert rows[7][1] == "'=CMD()" and rows[0][3] == "'-布吉环卫所"  # formulas stay text
    assert rows[1][5] == datetime(2026, 7, 1, 9, 0, 1)  # China time, a real date
    assert rows[1][7] == datetime(2026, 7, 1, 10, 30, 1) and rows[1][8] == 90
    assert rows[0][7:] in ((), (None, None))  # read-only mode drops trailing empty cells
    assert info["签到人数"] == 20_000


def test_ledger_check_ins_stream_from_an_iterator():
    ledger = queries.LedgerData(program="夏送清凉", year=2026, owner="区总工会", scope_label="全区",
                                achieved=queries.Totals(1, 300, 300))
    lines = (ProgramCheckIn(START, "布吉环卫所慰问", "布吉街道总工会", row) for row in _people(300))
    buf = io.BytesIO()
    write_ledger_xlsx(buf, ledger, lines)
    rows = list(load_workbook(io.BytesIO(buf.getvalue()), read_only=True)["签到明细"].iter_rows(
        min_row=2, values_only=True))
    assert len(rows) == 300
    assert rows[0][0] == datetime(2026, 7, 1, 9, 0) and rows[0][3] == "环卫00000" and rows[7][3] == "'=CMD()"
    assert rows[1][7] == datetime(2026, 7, 1, 9, 0, 1) and rows[1][9] == datetime(2026, 7, 1, 10, 30, 1)


def test_send_spooled_sends_the_whole_file_uncached(app, monkeypatch):
    monkeypatch.setattr(streaming, "SPOOL_MAX_BYTES", 100)  # force the on-disk path
    payload = bytes(range(256)) * 1000
    with app.test_request_context():
        response = streaming.send_spooled(lambda out: out.write(payload), "application/octet-stream", "名单.xlsx",
                                          attachment=True)
        response.direct_passthrough = False
        assert response.get_data() == payload
        assert response.content_length == len(payload)
        assert response.headers["Cache-Control"] == "private, no-store"
        assert "attachment" in response.headers["Content-Disposition"]
        response.close()


def test_rows_from_the_database_in_batches_match_the_lists(app, tree, street_event, create_program, create_event,
                                                           create_check_in):
    event = street_event(people=5)
    assert list(streaming.iter_roster_rows(event.id, batch=2)) == queries.roster_rows(event.id)
    assert streaming.roster_same_day(event.id, checkout=False)
    text = pdf_text(streaming.roster_pdf(event))
    assert "职工005" in text and "合计：本场签到5人" in text and "138****0004" in text
    program = event.program
    admin = tree["admin"]
    assert list(streaming.iter_program_check_ins(program, admin, batch=2)) == queries.program_check_ins(program,
                                                                                                        admin)
