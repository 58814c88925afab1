"""The work-plan parser on the real 2026 plan, on another year's style, on .docx, and on every trap."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from eventsvc.imports.plan_parser import Plan, PlanItem, join_broken_lines, parse_plan_file, parse_plan_text
from eventsvc.imports.plan_units import DEFAULT_DEPARTMENTS, default_directory

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
PLAN_2026 = SEEDS / "2026-work-plan.md"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
STREETS = default_directory().of_kind("street")


def _item(plan: Plan, number: str) -> PlanItem:
    return next(item for item in plan.items if item.number == number)


def _figures(item: PlanItem) -> list[tuple[object, str, str, str]]:
    return [(t.value, t.unit, t.metric, t.level) for t in item.targets if t.organization is None]


def _one(text: str) -> PlanItem:
    """A one-item plan around a sentence, so each trap is tested alone."""
    plan = parse_plan_text(f"1．测试条目。{text}（牵头部室：办公室）", 2026)
    assert len(plan.items) == 1
    return plan.items[0]


@pytest.fixture(scope="module")
def plan_2026() -> Plan:
    if not PLAN_2026.exists():
        pytest.skip(f"seed plan not found at {PLAN_2026}")
    return parse_plan_file(PLAN_2026, 2026)


def test_2026_plan_has_29_items_with_lead_departments_mapped(plan_2026: Plan) -> None:
    assert plan_2026.year == 2026
    assert [item.number for item in plan_2026.items] == [str(n) for n in range(1, 30)]
    for item in plan_2026.items:
        assert item.lead, item.number
        assert set(item.lead) <= set(DEFAULT_DEPARTMENTS), (item.number, item.lead)
    assert _item(plan_2026, "2").title == "做优“劳模工匠”宣讲品牌"
    assert _item(plan_2026, "11").title == "提升职工“三大节”活动参与度"  # no bold: up to the first 。
    assert _item(plan_2026, "2").section.startswith("一、筑牢思想引领根基")
    assert _item(plan_2026, "11").section.startswith("三、推动关爱服务升级")  # ### heading
    assert _item(plan_2026, "6").lead == ["组织建设部", "宣教服务部", "权益保障部"]  # 组织部 is an alias


def test_2026_participants_expand_groups_and_skip_leads(plan_2026: Plan) -> None:
    item = _item(plan_2026, "2")
    assert set(STREETS) <= set(item.participants)
    assert {"办公室", "宣教服务部", "组织建设部"} <= set(item.participants)  # 区总工会各部室 minus the lead
    assert "权益保障部" not in item.participants
    assert "宣教服务部" in _item(plan_2026, "10").participants  # named after the groups, across a page break
    assert any("国有企业工会" in w for w in _item(plan_2026, "23").warnings)


def test_2026_targets(plan_2026: Plan) -> None:
    assert _figures(_item(plan_2026, "2")) == [(50, "场", "sessions", ""), (80000, "人次", "attendances", "")]
    assert _item(plan_2026, "2").targets[0].text == "至少 50 场"
    assert _figures(_item(plan_2026, "12")) == [(150, "场", "sessions", ""), (20000, "人次", "attendances", "")]
    assert _figures(_item(plan_2026, "11")) == [(47, "项", "sessions", ""), (1, "项", "sessions", "市级"),
                                                (6, "项", "sessions", "区级"), (40, "项", "sessions", "街道级")]
    assert not _item(plan_2026, "11").warnings  # 1 + 6 + 40 = 47
    assert _figures(_item(plan_2026, "7")) == [(10, "名", "outcome", ""), (10, "项", "outcome", "")]  # page break
    assert _figures(_item(plan_2026, "22"))[:2] == [(238, "家", "outcome", ""), (25000, "人", "outcome", "")]
    assert [t.value for t in _item(plan_2026, "22").targets if t.metric == "rate"] == [90, 95, 95, 85]
    assert _figures(_item(plan_2026, "27")) == [(100, "名", "outcome", ""), (100, "门", "outcome", "")]
    assert _figures(_item(plan_2026, "9"))[1] == (100, "个", "quantity", "")
    ten = _item(plan_2026, "10")
    assert _figures(ten) == [(2, "家", "outcome", "")] and any("2-3 家" in w for w in ten.warnings)
    shares = _item(plan_2026, "16").targets
    assert sorted(t.organization or "" for t in shares) == sorted(STREETS) and {t.value for t in shares} == {1}
    rates = _item(plan_2026, "25").targets
    assert [(t.value, t.label) for t in rates[:2]] == [(95, "深工通系统职代会建制率"), (95, "企务公开动态建制率")]


def test_2026_figure_count_and_traps(plan_2026: Plan) -> None:
    assert plan_2026.figures == 32
    assert sum(1 for item in plan_2026.items if item.has_target) == 16
    counted = [t for item in plan_2026.items for t in item.targets if t.kind == "counted" and t.metric != "quantity"]
    assert len({(t.value, t.text) for t in counted}) == 12
    values = [(item.number, t.value) for item in plan_2026.items for t in item.targets]
    assert ("19", 2026) not in values and ("19", 4) not in values  # 2026年第四届
    assert ("24", 2026) not in values and ("24", 3) not in values  # 2026 年 … 三星级
    assert ("25", 300) not in values  # 职工300人以上 is a threshold
    assert ("9", 11) not in values and ("16", 11) not in values  # 11+2, 1+11+N
    assert not _item(plan_2026, "13").has_target and _item(plan_2026, "13").to_dict()["has_target"] is False


def test_json_shape(plan_2026: Plan) -> None:
    data = json.loads(plan_2026.to_json())
    assert data["year"] == 2026 and len(data["items"]) == 29
    item = data["items"][1]
    assert {"number", "section", "title", "lead", "participants", "targets", "warnings"} <= set(item)
    assert item["targets"][1] == {"value": 80000, "unit": "人次", "metric": "attendances", "kind": "counted",
                                  "level": "", "organization": None, "text": "至少 8 万人次", "label": "覆盖职工",
                                  "figure": 2}


@pytest.mark.parametrize("text", [
    "推动百人以上企业建会。", "推动 25 人以上单位依法建会。", "不足 25 人的企业推动联合建会。",
    "推进职工300人以上设立董事会的公司建立职工董事制度。", "25-99人企业建会率持续提高。",
    "2018 年以来持续开展服务。", "举办第十届职工技能大赛。", "组织参加2026年第四届集体协商竞赛。",
    "推动“1+11+N”职工服务阵地融合。", "聚焦“11+2”产业集群与 4+6+N 产业布局。",
    "围绕 7 个方面开展培训。", "出台包含 13 条具体措施的方案。", "实施“三大节”活动，构建四级联动格局。",
    "推广“一室一品”，实施“双百”工程，建立三级服务队。", "统一次序，进一步推进。",
])
def test_traps_are_not_targets(text: str) -> None:
    item = _one(text)
    assert item.targets == [] and not item.has_target


@pytest.mark.parametrize(("text", "expected"), [
    ("新发展会员 2.5 万人。", (25000, "人", "outcome")),
    ("全年发放慰问金 780 万元。", (780, "万元", "amount")),
    ("消费帮扶 12.35 万元。", (12.35, "万元", "amount")),
    ("集体合同签订率 85%。", (85, "%", "rate")),
    ("组建百名讲师库。", (100, "名", "outcome")),
    ("每季度至少开展一次讲座。", (1, "次", "quantity")),
    ("全年开展宣讲不少于六十场。", (60, "场", "sessions")),
    ("覆盖职工两万人次以上。", (20000, "人次", "attendances")),
    ("发放清凉礼包 2000 份。", (2000, "份", "quantity")),
    ("新增建会企业 1000 家以上。", (1000, "家", "outcome")),
    ("培育信息员 50 人。", (50, "人", "outcome")),
    ("走访慰问户外劳动者 5000 人。", (5000, "人", "participants")),
    ("推动 25 人以上单位建会率达 90%。", (90, "%", "rate")),
])
def test_single_figures(text: str, expected: tuple[object, str, str]) -> None:
    targets = _one(text).targets
    assert [(t.value, t.unit, t.metric) for t in targets] == [expected]


def test_two_rates_named_by_one_figure() -> None:
    targets = _one("集体合同签订率、工资集体协商建制率均达 95%。").targets
    assert [(t.label, t.value, t.kind) for t in targets] == [("集体合同签订率", 95, "rate"),
                                                             ("工资集体协商建制率", 95, "rate")]


def test_level_split_that_does_not_add_up_warns() -> None:
    item = _one("开展系列活动 20 项（区级 5 项、街道级 14 项）。")
    assert _figures(item) == [(20, "项", "sessions", ""), (5, "项", "sessions", "区级"),
                              (14, "项", "sessions", "街道级")]
    assert any("合计 19" in w and "20" in w for w in item.warnings)


def test_other_year_style_plain_numbered_lines(tmp_path: Path) -> None:
    plan = parse_plan_file(FIXTURES / "plan-2027-plain.txt")
    assert plan.year == 2027 and [i.number for i in plan.items] == ["1", "2", "3", "4", "5", "6"]
    first = plan.items[0]
    assert first.title == "开展劳模工匠进基层宣讲" and first.section == "一、强化职工思想政治引领"
    assert first.lead == ["宣教服务部", "权益保障部"]
    assert _figures(first) == [(60, "场", "sessions", ""), (10000, "人次", "attendances", "")]
    assert _figures(plan.items[2]) == [(780, "万元", "amount", ""), (120.5, "万元", "amount", "")]
    assert set(plan.items[2].participants) == set(STREETS)
    assert [t.label for t in plan.items[3].targets] == ["集体合同签订率", "工资集体协商建制率"]
    fifth = plan.items[4]
    assert _figures(fifth) == [(1000, "家", "outcome", ""), (30000, "名", "outcome", "")]
    assert len([t for t in fifth.targets if t.organization]) == 11  # 各街道至少建成 2 个示范点
    assert "依法建会" in fifth.text  # the line broken after 25 人以上单位 was joined
    sixth = plan.items[5]
    assert sixth.lead == ["组织建设部"] and sixth.targets == []
    assert any("人事科" in w for w in sixth.warnings)


def test_aliases_are_extendable() -> None:
    text = "1．测试。开展宣讲 3 场。（责任部门：人事科）"
    assert parse_plan_text(text, 2026).items[0].lead == []
    assert parse_plan_text(text, 2026, aliases={"人事科": "办公室"}).items[0].lead == ["办公室"]


def test_numbering_restarting_per_section_stays_unique() -> None:
    plan = parse_plan_file(FIXTURES / "plan-restart-numbering.md")
    assert [i.number for i in plan.items] == ["一-1", "一-2", "二-1", "二-2"]
    assert plan.items[2].participants == ["平湖街道总工会", "坂田街道总工会"]
    assert _figures(plan.items[2]) == [(2000, "份", "quantity", ""), (5000, "人", "participants", "")]
    assert not plan.items[1].has_target


def test_page_break_joins() -> None:
    lines = join_broken_lines("1. **标题。**推动主题\n\n宣传教育进企业。\n- 3 -\n（牵头部室：办公室）\n2. 下一条。")
    assert lines == ["1. **标题。**推动主题宣传教育进企业。（牵头部室：办公室）", "2. 下一条。"]


def test_docx_with_bold_titles(tmp_path: Path) -> None:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_heading("深圳市龙岗区总工会 2029 年工作要点", level=1)
    document.add_heading("一、凝聚职工力量", level=2)
    paragraph = document.add_paragraph("1．")
    paragraph.add_run("做优劳模宣讲品牌。").bold = True
    paragraph.add_run("全年开展宣讲至少 50 场，覆盖职工至少 8 万人次，推动")
    document.add_paragraph("劳模精神入脑入心。（牵头部室：权益部，参与单位：各街道总工会）")  # a page break split it
    second = document.add_paragraph("2．")
    second.add_run("加强组织建设。").bold = True
    second.add_run("推动建会。（牵头部室：组建部）")
    path = tmp_path / "plan.docx"
    document.save(str(path))
    plan = parse_plan_file(path)
    assert plan.year == 2029 and [i.title for i in plan.items] == ["做优劳模宣讲品牌", "加强组织建设"]
    first = plan.items[0]
    assert first.lead == ["权益保障部"] and set(first.participants) == set(STREETS)
    assert _figures(first) == [(50, "场", "sessions", ""), (80000, "人次", "attendances", "")]
    assert plan.items[1].lead == ["组织建设部"] and not plan.items[1].has_target


def test_unsupported_file_type(tmp_path: Path) -> None:
    path = tmp_path / "plan.pdf"
    path.write_bytes(b"%PDF")
    with pytest.raises(ValueError, match="不支持"):
        parse_plan_file(path)


def test_docx_with_word_auto_numbering(tmp_path: Path) -> None:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_paragraph("2030 年工作要点")
    for title in ("开展宣讲。全年 12 场。（牵头部室：宣教部）", "开展培训。全年 3 期。（牵头部室：办公室）"):
        paragraph = document.add_paragraph(title)
        num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
        num_pr.get_or_add_numId().val = 1
        num_pr.get_or_add_ilvl().val = 0
    path = tmp_path / "numbered.docx"
    document.save(str(path))
    plan = parse_plan_file(path)
    assert [(i.number, i.title, i.lead) for i in plan.items] == [("1", "开展宣讲", ["宣教服务部"]),
                                                                 ("2", "开展培训", ["办公室"])]
    assert any("自动编号" in w for w in plan.warnings)


def test_directory_from_organizations_expands_district_federations() -> None:
    from types import SimpleNamespace

    from eventsvc.imports.plan_units import UnitDirectory

    rows = [SimpleNamespace(name="深圳市龙岗区总工会", short_name="区总工会", kind="district"),
            SimpleNamespace(name="权益保障部", short_name="", kind="department"),
            SimpleNamespace(name="平湖街道总工会", short_name="平湖", kind="street"),
            SimpleNamespace(name="龙岗区物流行业工会联合会", short_name="物流行业工联会", kind="federation")]
    directory = UnitDirectory.from_organizations(rows, aliases={"物流工联": "龙岗区物流行业工会联合会"})
    item = parse_plan_text("1．测试。开展宣讲 3 场。"
                           "（牵头部室：权益部，参与单位：各街道总工会，区直管工联合会、物流工联）",
                           2026, directory).items[0]
    assert item.lead == ["权益保障部"]
    assert item.participants == ["平湖街道总工会", "龙岗区物流行业工会联合会"]
    assert [g.to_dict() for g in item.groups][1] == {"phrase": "区直管工联合会", "kind": "federation",
                                                     "units": ["龙岗区物流行业工会联合会"]}
