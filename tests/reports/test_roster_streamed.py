"""The roster drawn row by row: long rosters paginate fully, every page has its furniture, iterators work."""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from eventsvc.reports.pdf_roster import ROW_H, build_blank_roster_pdf, build_roster_pdf
from eventsvc.reports.records import EventHeader, RosterRow
from tests.reports.conftest import pdf_pages, pdf_text

START = datetime(2026, 7, 1, 1, 0)  # 09:00 China time
HEADER = EventHeader("新就业形态劳动者服务月", "坂田暖蜂驿站夏送清凉", START, START + timedelta(hours=3),
                     "坂田街道暖蜂驿站", "坂田街道总工会")
FULL_PAGE_ROWS = 31  # A4 minus margins, running head and header row, at ROW_H = 8 mm


def _rows(n: int) -> list[RosterRow]:
    return [RosterRow(f"职工{i:04d}", f"1391234{i % 10000:04d}", "顺丰坂田点", "快递员", START + timedelta(seconds=i),
                      "扫码自助") for i in range(n)]


def _numbers(page: str) -> list[int]:
    """Return the 序号 printed on a page (the only cells that are bare numbers)."""
    return [int(line) for line in page.splitlines() if line.strip().isdigit()]


def test_three_thousand_rows_fill_every_page_and_end_with_the_last_row():
    assert abs(ROW_H - 8 * 2.8346456) < 0.01  # FULL_PAGE_ROWS below assumes this row height
    pages = pdf_pages(build_roster_pdf(HEADER, _rows(3000)))
    per_page = [_numbers(p) for p in pages]
    assert [n for numbers in per_page for n in numbers] == list(range(1, 3001))
    row_pages = [numbers for numbers in per_page if numbers]
    first = len(row_pages[0])
    assert 20 <= first < FULL_PAGE_ROWS  # the title block takes the top of page 1
    assert all(len(numbers) == FULL_PAGE_ROWS for numbers in row_pages[1:-1])
    assert len(row_pages) == 1 + math.ceil((3000 - first) / FULL_PAGE_ROWS)
    assert row_pages[-1][-1] == 3000 and "职工2999" in pages[len(row_pages) - 1]
    # The totals block is kept whole: on the last rows' page when it fits, else alone on one more page.
    assert len(pages) in (len(row_pages), len(row_pages) + 1)
    last = "".join(pages[-1].split())
    assert "合计：本场签到3000人" in last and "经办人（签字）" in last
    for n, page in enumerate(pages, start=1):
        flat = "".join(page.split())
        assert ("序号姓名单位手机号人群类别签到时间签名" in flat) == (n <= len(row_pages))
        assert f"第{n}页/共{len(pages)}页" in flat
        assert "坂田暖蜂驿站夏送清凉" in flat  # the event title on every page, not only the first


def test_an_iterator_is_drawn_in_the_order_given_with_the_day_chosen_by_the_caller():
    rows = _rows(40)
    text = pdf_text(build_roster_pdf(HEADER, iter(rows), same_day=True))
    assert "职工0039" in text and "合计：本场签到40人" in text
    assert "快递员09:00" in text and "快递员07-0109:00" not in text
    dated = pdf_text(build_roster_pdf(HEADER, iter(rows)))  # unknown span: dates are printed
    assert "快递员07-0109:00" in dated


def test_totals_that_do_not_fit_move_to_a_new_page_with_its_footer():
    first = len(_numbers(pdf_pages(build_roster_pdf(HEADER, _rows(40)))[0]))
    n = first + FULL_PAGE_ROWS  # page 2 is full of rows: no room left for the totals
    pages = pdf_pages(build_roster_pdf(HEADER, _rows(n)))
    assert len(pages) == 3
    assert _numbers(pages[2]) == []
    last = "".join(pages[2].split())
    assert f"合计：本场签到{n}人" in last and "第3页/共3页" in last and "坂田暖蜂驿站夏送清凉" in last


def test_a_wrapped_cell_grows_its_row_and_stays_readable():
    row = RosterRow("欧阳" * 12, "13812345678", "深圳市龙岗区坂田街道" * 4, "快递员", START)
    text = pdf_text(build_roster_pdf(HEADER, [row]))
    assert "欧阳" * 12 in text and "深圳市龙岗区坂田街道" * 4 in text


def test_blank_sheet_of_five_hundred_rows_numbers_every_line_once():
    pages = pdf_pages(build_blank_roster_pdf(HEADER, 500))
    assert [n for p in pages for n in _numbers(p)] == list(range(1, 501))
    assert "本表共500行" in "".join(pages[-1].split())
