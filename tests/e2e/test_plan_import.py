"""End to end in headless Chromium: a district administrator pastes a small work plan, sees the preview with
its targets and warnings, unticks one item, corrects a lead department, confirms, and the program page shows
the targets."""
from __future__ import annotations

from sqlalchemy import select

from eventsvc.programs.models import Program
from tests.e2e.conftest import LAPTOP
from tests.factories import TEST_PASSWORD
from tests.imports.plan_helpers import add_district_units

PLAN = """深圳市龙岗区总工会2027年工作要点
一、强化职工思想政治引领
1．开展劳模工匠进基层宣讲。全年开展主题宣讲不少于 60 场，覆盖职工 1 万人次以上。（责任部门：宣教部、权益部）
2．深化职工心理关爱服务。每季度至少开展一次心理健康讲座。（责任部门：人事科）
3．做好困难职工帮扶。全年发放慰问金 780 万元。（责任部门：权益部，配合单位：各街道总工会）
"""


def test_district_admin_pastes_previews_unticks_and_confirms_a_plan(
    db, tree, live_server, browser, artifacts_dir
):  # type: ignore[no-untyped-def]
    add_district_units(tree["root"])
    db.session.commit()
    base = live_server
    page = browser.new_context(**LAPTOP).new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_load_state()

    # 1. Paste the plan; the preview lists items, targets with the words they were read from, and warnings.
    page.goto(f"{base}/programs/import")
    page.fill("textarea[name=text]", PLAN)
    page.click("button:has-text('解析并预览')")
    page.wait_for_selector("text=2027 年工作要点 · 导入预览")
    assert "共 3 个条目：将新建 3 个项目" in page.inner_text("body")
    first = page.locator("#item-0")
    assert "“不少于 60 场”" in first.inner_text() and "“1 万人次以上”" in first.inner_text()
    assert page.locator("#item-0 input[name=t-0-1-value]").input_value() == "10000"  # 万 multiplied out
    assert "单位“人事科”未对应到组织" in page.locator("#item-1").inner_text()
    assert page.locator("#item-1 .badge.bad").count() >= 1  # 需人工确认
    page.screenshot(path=str(artifacts_dir / "e2e-plan-01-preview.png"), full_page=True)
    db.session.expire_all()
    assert db.session.scalar(select(Program.id)) is None  # nothing before confirm

    # 2. Untick item 2, correct item 1's lead departments, confirm.
    page.uncheck("input[name=include-1]")
    page.fill("input[name=lead-0]", "宣教部")
    page.click("button:has-text('确认导入')")
    page.wait_for_selector("text=已导入 2027 年工作要点：新建 2 个项目")
    assert "未勾选 1 个条目" in page.inner_text("body")

    db.session.expire_all()
    programs = {p.plan_item: p for p in db.session.scalars(select(Program))}
    assert sorted(programs) == ["1", "3"]
    assert [d.name for d in programs["1"].lead_departments] == ["宣教服务部"]

    # 3. The program page shows the imported targets.
    page.goto(f"{base}/programs/{programs['1'].id}")
    body = page.inner_text("body")
    assert "开展劳模工匠进基层宣讲" in body
    assert "0 / 60 场 · 0.0%" in body and "0 / 10000 人次 · 0.0%" in body
    page.goto(f"{base}/programs/{programs['3'].id}")
    assert "0.00 / 780.00 万元 · 0.0%" in page.inner_text("body")
    page.screenshot(path=str(artifacts_dir / "e2e-plan-02-program.png"), full_page=True)
