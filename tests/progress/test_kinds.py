"""Every kind of target (issue 10 §2–§4): amounts, outcomes, rates, reported attendance, several programs."""
from __future__ import annotations

from datetime import date

import pytest

from eventsvc.core.exceptions import OperationError
from eventsvc.events.operations import set_additional_programs, set_quantities, update_event
from eventsvc.programs.models import (
    ATTENDANCES,
    CUSTOM,
    KIND_AMOUNT,
    KIND_RATE,
    KIND_REPORTED,
    PARTICIPANTS,
    SESSIONS,
    SRC_CHECKIN,
)
from eventsvc.programs.operations import TargetSpec
from eventsvc.programs.reported_models import APPROVED, PENDING, REJECTED
from eventsvc.programs.reported_operations import approve_figure, reject_figure, submit_figure
from eventsvc.progress.queries import target_progress, totals_by_program, totals_by_subtree

JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)


def _progress(program, scope_path=""):  # type: ignore[no-untyped-def]
    overall = totals_by_program([program.id], scope_path=scope_path)[program.id]
    org_ids = sorted({t.organization_id for t in program.targets if t.organization_id})
    by_org = totals_by_subtree(org_ids, program_ids=[program.id]) if org_ids else {}
    return {(p.target.label or p.target.metric, p.target.organization_id): p
            for p in target_progress(program, overall, by_org)}


def test_amount_sums_event_money_and_approved_reports_with_decimals(db, tree, create_program, create_event):
    program = create_program(org=tree["root"], targets=[
        TargetSpec(CUSTOM, 780.5, label="参保额", unit="万元", kind=KIND_AMOUNT),
        TargetSpec(CUSTOM, 100, label="参保额", unit="万元", kind=KIND_AMOUNT, organization=tree["a"]),
    ])
    event = create_event(program, tree["a_child"])
    set_quantities(event, [("参保额", "万元", 3.2)], by=None)
    submit_figure(program, tree["b"], by=None, label="参保额", period=JAN, value=10.15)
    pending = submit_figure(program, tree["a"], by=tree["org_a"], label="参保额", period=JAN, value=50)
    db.session.commit()
    assert pending.status == PENDING
    rows = _progress(program)
    assert rows[("参保额", None)].done == 13.35  # 3.2 at the event + 10.15 approved; 50 waits for review
    assert rows[("参保额", None)].pending == 50 and rows[("参保额", None)].percent == 1.7
    assert rows[("参保额", tree["a"].id)].done == 3.2  # street A's share: its community's event only

    approve_figure(pending, by=tree["admin"])
    db.session.commit()
    rows = _progress(program)
    assert rows[("参保额", None)].done == 63.35 and rows[("参保额", None)].pending == 0
    assert rows[("参保额", tree["a"].id)].done == 53.2 and rows[("参保额", tree["a"].id)].percent == 53.2


def test_reported_outcomes_roll_up_by_unit_and_count_only_after_approval(db, tree, create_program):
    program = create_program(org=tree["root"], targets=[
        TargetSpec(CUSTOM, 1000, label="新增建会企业", unit="家", kind=KIND_REPORTED),
        TargetSpec(CUSTOM, 60, label="新增建会企业", unit="家", kind=KIND_REPORTED, organization=tree["a"]),
    ])
    community = submit_figure(program, tree["a_child"], by=tree["org_a"], label="新增建会企业", period=JAN,
                              value=12)  # entered by the street above: approved as entered
    own = submit_figure(program, tree["a"], by=tree["org_a"], label="新增建会企业", period=JAN, value=20)
    feb = submit_figure(program, tree["a"], by=tree["org_a"], label="新增建会企业", period=FEB, value=8)
    db.session.commit()
    assert community.status == APPROVED and own.status == feb.status == PENDING
    rows = _progress(program)
    assert rows[("新增建会企业", tree["a"].id)].done == 12
    assert rows[("新增建会企业", tree["a"].id)].pending == 28

    approve_figure(own, by=tree["admin"])
    reject_figure(feb, by=tree["admin"], reason="缺少名单")
    db.session.commit()
    rows = _progress(program)
    assert rows[("新增建会企业", tree["a"].id)].done == 32  # months add up; the rejected month does not
    assert rows[("新增建会企业", None)].done == 32
    assert feb.status == REJECTED and feb.reject_reason == "缺少名单"
    # Street B's view of the program counts only its own subtree.
    assert _progress(program, scope_path=tree["b"].path)[("新增建会企业", None)].done == 0


def test_rates_are_weighted_by_size_and_use_each_units_latest_month(db, tree, create_program):
    program = create_program(org=tree["root"], targets=[
        TargetSpec(CUSTOM, 85, label="集体合同签订率", kind=KIND_RATE),
        TargetSpec(CUSTOM, 90, label="集体合同签订率", kind=KIND_RATE, organization=tree["b"]),
    ])
    submit_figure(program, tree["a"], by=None, label="集体合同签订率", period=JAN, numerator=10, denominator=100)
    submit_figure(program, tree["a"], by=None, label="集体合同签订率", period=FEB, numerator=80, denominator=100)
    submit_figure(program, tree["b"], by=None, label="集体合同签订率", period=JAN, numerator=9, denominator=10)
    db.session.commit()
    rows = _progress(program)
    overall = rows[("集体合同签订率", None)]
    # (80 + 9) / (100 + 10) = 80.9 %, not the average of 80 % and 90 % (85 %); January of A is replaced by February.
    assert overall.done == 80.9 and overall.rate_parts == (89, 110)
    assert overall.percent == round(100 * 80.9 / 85, 1) and not overall.is_met
    share = rows[("集体合同签订率", tree["b"].id)]
    assert share.done == 90.0 and share.is_met and share.target.unit_label == "%"


def test_reporting_stays_within_scope_and_review_needs_a_unit_above(db, tree, create_program):
    program = create_program(org=tree["root"], targets=[
        TargetSpec(CUSTOM, 100, label="新会员", unit="名", kind=KIND_REPORTED)])
    with pytest.raises(OperationError) as refused:
        submit_figure(program, tree["b"], by=tree["org_a"], label="新会员", period=JAN, value=5)
    assert refused.value.code == "forbidden"
    with pytest.raises(OperationError):
        submit_figure(program, tree["a"], by=tree["viewer_a"], label="新会员", period=JAN, value=5)
    with pytest.raises(OperationError):
        submit_figure(program, tree["a"], by=tree["org_a"], label="不存在的指标", period=JAN, value=5)
    with pytest.raises(OperationError):
        submit_figure(program, tree["a"], by=tree["org_a"], label="新会员", period=date(2025, 12, 1), value=5)
    figure = submit_figure(program, tree["a"], by=tree["org_a"], label="新会员", period=MAR, value=5)
    with pytest.raises(OperationError):
        approve_figure(figure, by=tree["org_a"])  # a street never approves its own figures
    with pytest.raises(OperationError):
        approve_figure(figure, by=tree["org_b"])  # nor a sibling's
    with pytest.raises(OperationError):
        reject_figure(figure, by=tree["admin"], reason="  ")
    approve_figure(figure, by=tree["admin"])
    with pytest.raises(OperationError):
        submit_figure(program, tree["a"], by=tree["org_a"], label="新会员", period=MAR, value=6)
    db.session.commit()
    assert totals_by_program([program.id])[program.id].reported == {"新会员": 5}


def test_reported_attendance_is_its_own_part_of_attendances(db, tree, create_program, create_event,
                                                           create_check_in, create_participant):
    program = create_program(org=tree["root"], targets=[
        TargetSpec(ATTENDANCES, 100, sources=(SRC_CHECKIN,)), TargetSpec(PARTICIPANTS, 50),
    ])
    every_part = create_program(org=tree["root"], targets=[TargetSpec(ATTENDANCES, 10000)])
    lecture = create_event(program, tree["a"])
    set_additional_programs(lecture, [every_part], by=None)
    person = create_participant()
    create_check_in(lecture, person)
    create_check_in(lecture)
    update_event(lecture, by=None, onsite_count=1600, onsite_note="礼堂清点", online_count=300)
    db.session.commit()
    totals = totals_by_program([program.id])[program.id]
    assert (totals.checkins, totals.onsite, totals.online, totals.attendances) == (2, 1600, 300, 1902)
    assert totals.participants == 2  # 人 counts named check-ins only
    done = {p.target.metric: p.done for p in target_progress(program, totals, {})}
    assert done == {ATTENDANCES: 2, PARTICIPANTS: 2}  # this program's 人次 target counts check-ins only
    (all_parts,) = target_progress(every_part, totals_by_program([every_part.id])[every_part.id], {})
    assert all_parts.done == 1902  # default: every part of 人次
    by_org = totals_by_subtree([tree["root"].id, tree["a"].id], program_ids=[program.id])
    assert by_org[tree["a"].id].attendances == 1902 and by_org[tree["root"].id].onsite == 1600


def test_event_counted_toward_two_programs_counts_once_in_each(db, tree, create_program, create_event,
                                                              create_check_in):
    month = create_program(org=tree["root"], name="新就业形态劳动者服务月", targets=[TargetSpec(SESSIONS, 10)])
    skills = create_program(org=tree["root"], name="技能竞赛", targets=[TargetSpec(SESSIONS, 5)])
    contest = create_event(skills, tree["a"])
    create_event(month, tree["b"])
    create_check_in(contest)
    set_additional_programs(contest, [month, month, skills], by=None)  # duplicates and the primary are dropped
    db.session.commit()
    assert [p.name for p in contest.additional_programs] == ["新就业形态劳动者服务月"]
    totals = totals_by_program([month.id, skills.id])
    assert (totals[month.id].sessions, totals[month.id].attendances) == (2, 1)
    assert (totals[skills.id].sessions, totals[skills.id].attendances) == (1, 1)
    by_program = totals_by_subtree([tree["root"].id], by_program=True)
    assert by_program[(tree["root"].id, month.id)].sessions == 2
    assert by_program[(tree["root"].id, skills.id)].sessions == 1
    # Across programs (a year's rollup) the event is still one session.
    assert totals_by_subtree([tree["root"].id], year=2026)[tree["root"].id].sessions == 2
    both = totals_by_subtree([tree["root"].id], program_ids=[month.id, skills.id])
    assert both[tree["root"].id].sessions == 2
