"""Issue 8 §1–2 in reports: held check-ins (待核实) are counted nowhere and said so in ledgers; rosters
print the name and workplace as given at the event, never another street's stored details."""
from __future__ import annotations

import io

from openpyxl import load_workbook

from eventsvc.checkin.models import CHECKIN_PENDING, SELF_SCAN, CheckIn
from eventsvc.checkin.operations import check_in
from eventsvc.extensions import db
from tests.reports.conftest import pdf_text


def _event_with_held_and_given(tree, create_program, create_event, create_participant, create_check_in):  # type: ignore[no-untyped-def]
    """Street A's event: one plain check-in, one held for review, one where the person gave other details."""
    program = create_program(org=tree["root"], name="职工普法月")
    event = create_event(program, tree["a"], title="平湖普法讲座")
    create_check_in(event, create_participant("李四", "13700000001", "平湖物流"))
    held = create_check_in(event, create_participant("代签的人", "13700000002", "虚构公司"))
    held.status, held.pending_reason = CHECKIN_PENDING, "同一手机已为本场签到过多"
    # Known district-wide from 坂田's records; at this event the person gave another name and workplace.
    known = create_participant("坂田存的名字", "13700000003", "坂田存的单位")
    check_in(event, known, by=None, method=SELF_SCAN, enforce_window=False,
             given={"name": "王五", "workplace": "平湖电子厂"})
    db.session.commit()
    return program, event


def _book(data: bytes):  # type: ignore[no-untyped-def]
    return load_workbook(io.BytesIO(data))


def test_roster_pdf_leaves_out_held_check_ins_and_prints_given_details(
        client, login, tree, create_program, create_event, create_participant, create_check_in):
    _, event = _event_with_held_and_given(tree, create_program, create_event, create_participant, create_check_in)
    login(tree["org_a"])
    text = pdf_text(client.get(f"/events/{event.id}/roster.pdf").data)
    assert "李四" in text and "王五" in text and "平湖电子厂" in text
    assert "合计：本场签到2人" in text  # the header count equals the rows printed
    for hidden in ("代签的人", "虚构公司", "坂田存的名字", "坂田存的单位"):
        assert hidden not in text, hidden


def test_event_checkins_xlsx_leaves_out_held_and_prints_given_details(
        client, login, tree, create_program, create_event, create_participant, create_check_in):
    _, event = _event_with_held_and_given(tree, create_program, create_event, create_participant, create_check_in)
    login(tree["org_a"])
    book = _book(client.get(f"/events/{event.id}/checkins.xlsx").data)
    rows = list(book["签到明细"].iter_rows(min_row=2, values_only=True))
    assert sorted((r[1], r[3]) for r in rows) == [("李四", "平湖物流"), ("王五", "平湖电子厂")]
    info = {r[0]: r[1] for r in book["活动信息"].iter_rows(min_row=2, values_only=True)}
    assert info["签到人数"] == 2


def test_streamed_roster_matches(app, tree, create_program, create_event, create_participant, create_check_in):
    from eventsvc.reports import queries, streaming

    _, event = _event_with_held_and_given(tree, create_program, create_event, create_participant, create_check_in)
    rows = list(streaming.iter_roster_rows(event.id))
    assert [r.name for r in rows] == [r.name for r in queries.roster_rows(event.id)] == ["李四", "王五"]
    assert db.session.query(CheckIn).filter_by(event_id=event.id).count() == 3  # the held one is stored


def test_ledger_pdf_says_how_many_wait_for_review(client, login, tree, create_program, create_event,
                                                  create_participant, create_check_in):
    program, _ = _event_with_held_and_given(tree, create_program, create_event, create_participant, create_check_in)
    login(tree["district_viewer"])
    text = pdf_text(client.get(f"/programs/{program.id}/ledger.pdf").data)
    assert "2人次（扫码签到2" in text
    assert "待核实1人次" in text


def test_ledger_pdf_without_held_check_ins_says_nothing_about_them(client, login, tree, create_program,
                                                                   create_event, create_check_in):
    program = create_program(org=tree["root"])
    create_check_in(create_event(program, tree["a"]))
    login(tree["district_viewer"])
    assert "待核实" not in pdf_text(client.get(f"/programs/{program.id}/ledger.pdf").data)


def test_ledger_xlsx_says_how_many_wait_and_lists_only_counted_with_given_details(
        client, login, tree, create_program, create_event, create_participant, create_check_in):
    program, _ = _event_with_held_and_given(tree, create_program, create_event, create_participant, create_check_in)
    login(tree["admin"])
    book = _book(client.get(f"/programs/{program.id}/ledger.xlsx").data)
    summary = {(r[0], r[1]): r[4] for r in book["目标与进度"].iter_rows(min_row=2, values_only=True) if r and r[0]}
    assert summary[("实际完成", "人次")] == 2
    assert summary[("待核实", "人次（未计入）")] == 1
    checkins = list(book["签到明细"].iter_rows(min_row=2, values_only=True))
    assert sorted((r[3], r[5]) for r in checkins) == [("李四", "平湖物流"), ("王五", "平湖电子厂")]


def test_street_ledger_counts_held_check_ins_of_its_own_subtree_only(
        app, tree, create_program, create_event, create_participant, create_check_in):
    from eventsvc.reports.queries import ledger_data

    program, _ = _event_with_held_and_given(tree, create_program, create_event, create_participant, create_check_in)
    assert ledger_data(program, tree["org_a"]).pending == 1
    assert ledger_data(program, tree["org_b"]).pending == 0
