"""The event roster (签到表) and the blank paper sheet: content, masking, escaping, pages."""
from __future__ import annotations

from datetime import datetime, timedelta

from eventsvc.reports.pdf_roster import build_blank_roster_pdf, build_roster_pdf
from eventsvc.reports.records import EventHeader, RosterRow
from tests.reports.conftest import pdf_pages, pdf_text

START = datetime(2026, 7, 1, 1, 0)  # 09:00 China time
HEADER = EventHeader("新就业形态劳动者服务月", "平湖暖蜂驿站集中服务日", START, START + timedelta(hours=3),
                     "平湖街道暖蜂驿站", "平湖街道总工会")


def _rows(n: int) -> list[RosterRow]:
    return [RosterRow(f"职工{i:03d}", f"1381234{i:04d}", "美团平湖站", "外卖员", START + timedelta(seconds=i),
                      "扫码自助") for i in range(n)]


def test_roster_view_prints_title_names_totals_and_masked_phones(client, login, tree, street_event):
    event = street_event(people=3, venue_name="平湖街道暖蜂驿站")
    login(tree["org_a"])
    resp = client.get(f"/events/{event.id}/roster.pdf")
    assert resp.status_code == 200
    assert resp.mimetype == "application/pdf"
    assert "no-store" in resp.headers["Cache-Control"]
    text = pdf_text(resp.data)
    for expected in ("平湖暖蜂驿站集中服务日", "签到表", "新就业形态劳动者服务月", "平湖街道总工会", "平湖街道暖蜂驿站",
                     "序号", "姓名", "单位", "手机号", "人群类别", "签到时间", "签名",
                     "职工001", "职工002", "职工003", "合计：本场签到3人"):
        assert expected in text, expected
    assert "138****0000" in text
    assert "13812340000" not in text


def test_full_phones_only_on_an_explicit_managers_request(client, login, tree, street_event):
    event = street_event(people=1)
    login(tree["viewer_a"])
    assert client.get(f"/events/{event.id}/roster.pdf?phones=full").status_code == 403
    login(tree["org_a"])
    assert "13812340000" in pdf_text(client.get(f"/events/{event.id}/roster.pdf?phones=full").data)


def test_roster_is_sorted_by_check_in_time():
    rows = _rows(3)
    rows[0].checked_in_at = START + timedelta(hours=1)  # 职工000 came last
    text = pdf_text(build_roster_pdf(HEADER, rows))
    assert text.index("职工001") < text.index("职工002") < text.index("职工000")


def test_markup_in_user_text_prints_literally():
    header = EventHeader("<i>项目</i>", "<b>活动&标题", START, START + timedelta(hours=1), "A&B <场地>", "工会<br/>")
    row = RosterRow("<b>张&三", "13812345678", "<font size=40>单位</font>" * 3, "外卖员", START)
    text = pdf_text(build_roster_pdf(header, [row]))
    for literal in ("<b>张&三", "<b>活动&标题", "A&B<场地>", "<i>项目</i>", "<fontsize=40>单位</font>"):
        assert literal in text, literal


def test_three_hundred_rows_repeat_the_header_and_number_every_page():
    pages = pdf_pages(build_roster_pdf(HEADER, _rows(300)))
    assert len(pages) > 5
    for n, page in enumerate(pages, start=1):
        flat = "".join(page.split())
        assert "序号姓名单位手机号人群类别签到时间签名" in flat
        assert f"第{n}页/共{len(pages)}页" in flat
        assert "打印时间" in flat
    assert "职工299" in "".join(pages[-1].split())
    assert "合计：本场签到300人" in "".join(pages[-1].split())


def test_blank_sheet_has_the_requested_numbered_rows(client, login, tree, street_event):
    event = street_event(people=0)
    login(tree["checker_a"])
    resp = client.get(f"/events/{event.id}/blank-roster.pdf?rows=40")
    assert resp.status_code == 200
    text = pdf_text(resp.data)
    assert "纸质" in text and "平湖暖蜂驿站集中服务日" in text
    assert _row_numbers(resp.data) == list(range(1, 41))
    assert "本表共40行" in text
    for bad in ("0", "501", "abc"):
        assert client.get(f"/events/{event.id}/blank-roster.pdf?rows={bad}").status_code == 400


def _row_numbers(data: bytes) -> list[int]:
    """Return the numbers in the 序号 column, read line by line after each page's header row."""
    numbers = []
    for page in pdf_pages(data):
        body = page.split("签名\n", 1)[1].split("合计")[0].split("第 ")[0]
        numbers += [int(line) for line in body.split("\n") if line.strip().isdigit()]
    return numbers


def test_blank_sheet_builder_numbers_rows_across_pages():
    assert _row_numbers(build_blank_roster_pdf(HEADER, 60)) == list(range(1, 61))


def test_five_hundred_rows_build_quickly_enough():
    import time

    started = time.perf_counter()
    data = build_roster_pdf(HEADER, _rows(500))
    assert time.perf_counter() - started < 3
    assert len(data) > 10_000
