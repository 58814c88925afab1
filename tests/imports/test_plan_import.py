"""`/programs/import`: the plan becomes programs only on confirm, with the preview's edits, and re-imports update."""
from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import func, select

from eventsvc.audit.models import AuditEntry
from eventsvc.extensions import db
from eventsvc.imports.models import ImportPreview
from eventsvc.programs.models import (
    ATTENDANCES,
    CUSTOM,
    KIND_AMOUNT,
    KIND_RATE,
    KIND_REPORTED,
    SESSIONS,
    Program,
)
from eventsvc.programs.operations import TargetSpec
from tests.imports.plan_helpers import PLAN_2026, add_district_units, browser_form

SMALL_PLAN = """深圳市龙岗区总工会2027年工作要点
一、强化职工思想政治引领
1．开展劳模工匠进基层宣讲。全年开展主题宣讲不少于 60 场，覆盖职工 1 万人次以上。（责任部门：宣教部、权益部）
2．深化职工心理关爱服务。每季度至少开展一次心理健康讲座。（责任部门：宣教部）
3．做好困难职工帮扶。全年发放慰问金 780 万元，送出清凉礼包 2000 份。（责任部门：权益部，配合单位：各街道总工会）
"""


def _programs() -> list[Program]:
    return list(db.session.scalars(select(Program).order_by(Program.id)))


def _upload(client: Any, text: str = SMALL_PLAN, **data: Any) -> Any:
    return client.post("/programs/import", data={"text": text, **data})


def _preview(client: Any, resp: Any) -> tuple[str, str]:
    assert resp.status_code == 302, resp.get_data(as_text=True)[:800]
    url = resp.headers["Location"]
    page = client.get(url)
    assert page.status_code == 200
    return url, page.get_data(as_text=True)


@pytest.fixture
def district(tree: dict[str, Any]) -> dict[str, Any]:
    units = add_district_units(tree["root"])
    db.session.commit()
    return {**tree, **units}


def test_2026_plan_imports_29_programs_on_confirm_only(client: Any, login: Any, district: dict[str, Any]) -> None:
    if not PLAN_2026.exists():
        pytest.skip(f"seed plan not found at {PLAN_2026}")
    login(district["admin"])
    resp = client.post("/programs/import", data={
        "year": "2026", "file": (io.BytesIO(PLAN_2026.read_bytes()), "2026-work-plan.md")},
        content_type="multipart/form-data")
    url, html = _preview(client, resp)
    assert "共 29 个条目：将新建 29 个项目，更新 0 个" in html
    assert "做优“劳模工匠”宣讲品牌" in html and "“至少 50 场”" in html
    assert _programs() == []  # nothing before confirm

    done = client.post(url, data=browser_form(html))
    assert done.status_code == 302, done.get_data(as_text=True)[:800]
    programs = _programs()
    assert sorted(int(p.plan_item) for p in programs) == list(range(1, 30))
    item2 = next(p for p in programs if p.plan_item == "2")
    assert item2.name == "做优“劳模工匠”宣讲品牌" and item2.plan_section.startswith("一、筑牢思想引领根基")
    assert [d.name for d in item2.lead_departments] == ["权益保障部"]
    assert {"平湖街道总工会", "吉华街道总工会", "办公室"} <= {o.name for o in item2.participating_orgs}
    assert {(t.metric, t.value) for t in item2.overall_targets} == {(SESSIONS, 50), (ATTENDANCES, 80000)}
    item11 = next(p for p in programs if p.plan_item == "11")
    assert sorted((t.level, t.value) for t in item11.targets if t.metric == SESSIONS) == [
        ("", 47), ("区级", 6), ("市级", 1), ("街道级", 40)]
    assert all(p.lead_departments for p in programs)
    assert any(not p.has_target and not p.targets for p in programs)  # items without a target are programs too
    assert db.session.scalar(select(func.count(ImportPreview.id))) == 0  # the preview is consumed
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "import.confirm"))
    assert entry is not None and "新建 29 个项目" in entry.summary and entry.actor_name == "admin"
    assert "已导入 2026 年工作要点：新建 29 个项目" in client.get(done.headers["Location"]).get_data(as_text=True)


def test_reimport_updates_programs_by_item_number(client: Any, login: Any, district: dict[str, Any],
                                                  create_program: Any) -> None:
    typed = create_program(org=district["root"], name="手工录入的宣讲项目", plan_item="1", year=2027,
                           targets=[TargetSpec(SESSIONS, 5)])
    street_own = create_program(org=district["a"], name="平湖宣讲", plan_item="1", year=2027)
    db.session.commit()
    login(district["admin"])
    for round_ in (1, 2):
        url, html = _preview(client, _upload(client))
        assert ("将更新：手工录入的宣讲项目" if round_ == 1 else "将更新：开展劳模工匠进基层宣讲") in html
        assert client.post(url, data=browser_form(html)).status_code == 302
    programs = [p for p in _programs() if p.organization_id == district["root"].id]
    assert sorted(p.plan_item for p in programs) == ["1", "2", "3"]
    db.session.refresh(typed)
    assert typed.name == "开展劳模工匠进基层宣讲"
    assert {(t.metric, t.value) for t in typed.targets} == {(SESSIONS, 60), (ATTENDANCES, 10000)}
    assert db.session.get(Program, street_own.id).name == "平湖宣讲"  # a street's own program is not the plan's
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "import.confirm")) == 2


def test_preview_edits_are_applied_on_confirm(client: Any, login: Any, district: dict[str, Any]) -> None:
    login(district["admin"])
    url, html = _preview(client, _upload(client))
    form = browser_form(html)
    assert form["include-1"] == "1" and form["title-0"] == "开展劳模工匠进基层宣讲"
    del form["include-1"]  # untick item 2
    form["title-0"] = "劳模工匠进基层宣讲"
    form["t-0-0-value"] = "70"  # 60 场 → 70
    form["t-0-1-org"] = "坂田街道总工会"  # the 人次 target becomes 坂田's share
    del form["t-2-1-include"]  # drop 清凉礼包
    assert client.post(url, data=form).status_code == 302
    programs = {p.plan_item: p for p in _programs()}
    assert set(programs) == {"1", "3"}
    first = programs["1"]
    assert first.name == "劳模工匠进基层宣讲"
    assert {(t.metric, t.value, t.organization.name if t.organization else "") for t in first.targets} == {
        (SESSIONS, 70, ""), (ATTENDANCES, 10000, "坂田街道总工会")}
    assert [d.name for d in first.lead_departments] == ["宣教服务部", "权益保障部"]  # 宣教部, 权益部 aliases
    assert [(t.kind, t.value, t.unit) for t in programs["3"].targets] == [(KIND_AMOUNT, 780, "万元")]  # 礼包 dropped


def test_every_kind_becomes_a_target_and_refused_ones_are_listed(client: Any, login: Any,
                                                                 district: dict[str, Any]) -> None:
    login(district["admin"])
    text = SMALL_PLAN + ("4．推进集体协商。集体合同签订率达 85%，全年开展讲座 2.5 场，新增建会企业 1000 家以上。"
                         "（责任部门：权益部）\n")
    url, html = _preview(client, _upload(client, text))
    assert "场次、人次、人数目标须为整数" in html  # shown before confirm, not imported
    form = browser_form(html)
    form["t-2-0-value"] = "12.345"  # 780 万元 mistyped
    done = client.post(url, data=form, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "跳过 2 个目标" in page and "第 3 条“780 万元”：目标数值最多两位小数" in page
    programs = {p.plan_item: p for p in _programs()}
    assert [(t.metric, t.label, t.value, t.unit) for t in programs["3"].targets] == [
        (CUSTOM, "送出清凉礼包", 2000, "份")]
    assert sorted((t.kind, t.value, t.unit) for t in programs["4"].targets) == [
        (KIND_RATE, 85, "%"), (KIND_REPORTED, 1000, "家")]


def test_nothing_is_written_when_confirm_fails(client: Any, login: Any, district: dict[str, Any]) -> None:
    login(district["admin"])
    url, html = _preview(client, _upload(client))
    form = browser_form(html)
    form["title-2"] = "开展劳模工匠进基层宣讲"  # same name as item 1
    resp = client.post(url, data=form)
    assert resp.status_code == 400
    assert "第 3 条“开展劳模工匠进基层宣讲”：2027 年已有名为" in resp.get_data(as_text=True)
    assert _programs() == []
    form["t-0-0-value"] = "很多"
    resp = client.post(url, data={**form, "title-2": "做好困难职工帮扶"})
    assert resp.status_code == 400 and "不是数字" in resp.get_data(as_text=True)
    assert _programs() == []
    assert client.post(url, data={**form, "title-2": "做好困难职工帮扶", "t-0-0-value": "60"}).status_code == 302
    assert len(_programs()) == 3


@pytest.mark.parametrize("data, message", [
    ({"text": "  "}, "请粘贴工作要点的文字"),
    ({"text": "随便写的一段话，没有编号。", "year": "2026"}, "未找到编号条目"),
    ({"text": "1．开展宣讲。全年 3 场。（责任部门：办公室）"}, "未能从标题识别年份"),
    ({"text": SMALL_PLAN, "year": "26"}, "年度应为"),
    ({"file": (io.BytesIO(b"x"), "plan.xlsx")}, "不支持的文件类型"),
    ({"file": (io.BytesIO(b"not a zip"), "plan.docx")}, "无法读取 .docx 文件"),
])
def test_bad_input_gets_a_message(client: Any, login: Any, district: dict[str, Any], data: dict[str, Any],
                                  message: str) -> None:
    login(district["admin"])
    resp = client.post("/programs/import", data=data, content_type="multipart/form-data")
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ImportPreview.id))) == 0


@pytest.mark.parametrize("who, status", [("org_a", 403), ("viewer_a", 403), ("district_viewer", 403)])
def test_only_district_managers_import(client: Any, login: Any, district: dict[str, Any], who: str,
                                       status: int) -> None:
    login(district[who])
    assert client.get("/programs/import").status_code == status
    assert _upload(client).status_code == status
    assert _programs() == []


def test_someone_elses_preview_is_gone(client: Any, login: Any, district: dict[str, Any],
                                       create_user: Any) -> None:
    login(district["admin"])
    url, html = _preview(client, _upload(client))
    login(create_user("admin", district["root"], username="admin2"))
    resp = client.post(url, data=browser_form(html))
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/programs/import")
    assert _programs() == []


def test_program_form_refuses_a_second_program_for_one_item(client: Any, login: Any, district: dict[str, Any],
                                                            create_program: Any) -> None:
    create_program(org=district["a"], name="平湖职工运动会", plan_item="7")
    db.session.commit()
    login(district["org_a"])
    resp = client.post("/programs/new", data={"year": "2026", "name": "平湖职工书法赛", "plan_item": "7",
                                              "organization_id": str(district["a"].id)})
    assert resp.status_code in (200, 400)
    assert "2026 年工作要点第 7 条已对应项目“平湖职工运动会”" in resp.get_data(as_text=True)
    assert len(_programs()) == 1
