"""The whole plan arrives: every target figure of 2026 is carried, lead departments and participants are
corrected in the preview, and plans in other years' styles go through the same web flow."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from eventsvc.extensions import db
from eventsvc.imports.plan_parser import parse_plan_file
from eventsvc.programs.models import ATTENDANCES, CUSTOM, KIND_EVENTS, KIND_REPORTED, SESSIONS, Program, Target
from tests.imports.plan_helpers import MORE_STREETS, PLAN_2026, add_district_units, browser_form

FIXTURES = Path(__file__).resolve().parent / "fixtures"
STREETS = {f"{s}街道总工会" for s in MORE_STREETS} | {"平湖街道总工会", "坂田街道总工会"}
PLAN = """深圳市龙岗区总工会2027年工作要点
一、强化职工思想政治引领
1．开展劳模工匠进基层宣讲。全年开展主题宣讲不少于 60 场。（责任部门：宣教部）
2．做好困难职工帮扶。全年发放慰问金 780 万元。（责任部门：人事科）
"""


@pytest.fixture
def district(tree: dict[str, Any]) -> dict[str, Any]:
    units = add_district_units(tree["root"])
    db.session.commit()
    return {**tree, **units}


def _programs() -> dict[str, Program]:
    return {p.plan_item: p for p in db.session.scalars(select(Program))}


def _preview(client: Any, **data: Any) -> tuple[str, str]:
    resp = client.post("/programs/import", data=data, content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:800]
    return resp.headers["Location"], client.get(resp.headers["Location"]).get_data(as_text=True)


def _figures(program: Program) -> list[tuple[str, str, float, str, str]]:
    return sorted((t.metric, t.label, float(t.value), t.unit, t.level) for t in program.targets)


def _assert_all_32_figures(programs: dict[str, Program]) -> None:
    """43 targets from 32 figures: item 16's one figure is 11 street shares, item 25's first names two rates."""
    assert db.session.scalar(select(func.count(Target.id))) == 43
    nine = programs["9"]
    assert _figures(nine) == [
        (ATTENDANCES, "", 100, "", ""),
        (CUSTOM, "为企业解决现场技术问题", 100, "个", ""),
        (CUSTOM, "帮助企业职工提升技能水平", 1000, "人次", ""),  # the second 人次 figure, no longer skipped
    ]
    assert all(t.kind == KIND_EVENTS for t in nine.targets)
    assert {t.organization.name for t in programs["16"].targets if t.organization} == STREETS
    assert len(programs["22"].targets) == 6 and len(programs["25"].targets) == 3
    assert (KIND_REPORTED, 2) in {(t.kind, t.value) for t in programs["10"].targets}  # 2-3 家 → 2
    assert sum(1 for p in programs.values() if p.targets) == 16


def test_2026_plan_carries_every_target_figure_through_the_web(client: Any, login: Any,
                                                               district: dict[str, Any]) -> None:
    if not PLAN_2026.exists():
        pytest.skip(f"seed plan not found at {PLAN_2026}")
    assert parse_plan_file(PLAN_2026, 2026).figures == 32
    login(district["admin"])
    url, html = _preview(client, year="2026", file=(io.BytesIO(PLAN_2026.read_bytes()), "2026-work-plan.md"))
    assert "暂不支持" not in html
    assert "改为按活动填报的数量“帮助企业职工提升技能水平”（人次）" in html  # said before confirm
    done = client.post(url, data=browser_form(html), follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "新建 29 个项目" in page and "跳过" not in page
    _assert_all_32_figures(_programs())


def test_2026_plan_carries_every_target_figure_through_the_cli(runner: Any, district: dict[str, Any]) -> None:
    if not PLAN_2026.exists():
        pytest.skip(f"seed plan not found at {PLAN_2026}")
    result = runner.invoke(args=["plan", "import", str(PLAN_2026), "--year", "2026"])
    assert result.exit_code == 0, result.output
    assert "新建 29 个项目" in result.output and "跳过" not in result.output
    _assert_all_32_figures(_programs())
    again = runner.invoke(args=["plan", "import", str(PLAN_2026), "--year", "2026"])
    assert again.exit_code == 0 and "跳过" not in again.output
    _assert_all_32_figures(_programs())  # re-import replaces, never adds


def test_preview_corrects_lead_departments_and_participants(client: Any, login: Any,
                                                            district: dict[str, Any]) -> None:
    login(district["admin"])
    url, html = _preview(client, text=PLAN)
    form = browser_form(html)
    assert form["lead-0"] == "宣教服务部" and form["participants-0"] == ""
    assert form["lead-1"] == "" and "单位“人事科”未对应到组织" in html
    form["lead-0"] = "宣教部、组建部"  # aliases are read as on import
    form["participants-0"] = "各街道总工会，办公室"  # a group phrase expands
    form["lead-1"] = "人事科"  # still unknown: refused, with what was typed kept
    resp = client.post(url, data=form)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "第 2 条：单位“人事科”不在组织中" in page
    assert browser_form(page)["lead-1"] == "人事科" and _programs() == {}
    form["lead-1"] = "权益保障部、办公室"
    assert client.post(url, data=form).status_code == 302
    programs = _programs()
    assert [d.name for d in programs["1"].lead_departments] == ["宣教服务部", "组织建设部"]
    assert {o.name for o in programs["1"].participating_orgs} == STREETS | {"办公室"}
    assert sorted(d.name for d in programs["2"].lead_departments) == ["办公室", "权益保障部"]
    assert programs["2"].participating_orgs == []


def test_a_lead_named_again_as_participant_is_only_lead(client: Any, login: Any, district: dict[str, Any]) -> None:
    login(district["admin"])
    url, html = _preview(client, text=PLAN)
    form = {**browser_form(html), "lead-1": "权益部", "participants-1": "权益保障部、平湖"}
    assert client.post(url, data=form).status_code == 302
    program = _programs()["2"]
    assert [d.name for d in program.lead_departments] == ["权益保障部"]
    assert [o.name for o in program.participating_orgs] == ["平湖街道总工会"]


def test_plain_numbered_style_goes_through_the_web_flow(client: Any, login: Any, district: dict[str, Any]) -> None:
    login(district["admin"])
    fixture = FIXTURES / "plan-2027-plain.txt"
    url, html = _preview(client, file=(io.BytesIO(fixture.read_bytes()), fixture.name))
    assert "2027 年工作要点 · 导入预览" in html and "共 6 个条目" in html
    form = browser_form(html)
    assert form["lead-0"] == "宣教服务部、权益保障部"
    form["lead-5"] = "组织建设部"  # 人事科 (unknown) is dropped by the user
    assert client.post(url, data=form).status_code == 302
    programs = _programs()
    assert sorted(programs) == ["1", "2", "3", "4", "5", "6"]
    assert {(t.metric, t.value) for t in programs["1"].targets} == {(SESSIONS, 60), (ATTENDANCES, 10000)}
    assert {t.label for t in programs["4"].targets} == {"集体合同签订率", "工资集体协商建制率"}
    assert not programs["6"].targets and not programs["6"].has_target


def test_restarting_numbering_style_goes_through_the_web_flow(client: Any, login: Any,
                                                              district: dict[str, Any]) -> None:
    login(district["admin"])
    fixture = FIXTURES / "plan-restart-numbering.md"
    url, html = _preview(client, file=(io.BytesIO(fixture.read_bytes()), fixture.name))
    assert "2028 年工作要点" in html and "共 4 个条目" in html
    assert client.post(url, data=browser_form(html)).status_code == 302
    programs = _programs()
    assert sorted(programs) == ["一-1", "一-2", "二-1", "二-2"]
    assert {o.name for o in programs["二-1"].participating_orgs} == {"平湖街道总工会", "坂田街道总工会"}
    assert sorted((t.level, t.value) for t in programs["二-2"].targets) == [("", 20), ("区级", 5), ("街道级", 14)]
    url2, html2 = _preview(client, file=(io.BytesIO(fixture.read_bytes()), fixture.name))
    assert "更新 4 个" in html2  # matched by (year, item number) on the way back in
