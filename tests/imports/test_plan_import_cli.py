"""`flask plan import` writes through the web's code path; the alias table administrators extend is used."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from eventsvc.audit.models import AuditEntry
from eventsvc.extensions import db
from eventsvc.imports.plan_models import PlanUnitAlias
from eventsvc.programs.models import Program
from tests.imports.plan_helpers import PLAN_2026, add_district_units, browser_form

ALIAS_PLAN = """2027年工作要点
1．开展工会干部培训。全年举办培训 12 场。（责任部门：工会办，配合单位：综治部）
"""


@pytest.fixture
def district(tree: dict[str, Any]) -> dict[str, Any]:
    units = add_district_units(tree["root"])
    db.session.commit()
    return {**tree, **units}


def _count() -> int:
    return db.session.scalar(select(func.count(Program.id))) or 0


def test_cli_imports_the_2026_plan_and_reimports_without_duplicates(runner: Any, district: dict[str, Any]) -> None:
    if not PLAN_2026.exists():
        pytest.skip(f"seed plan not found at {PLAN_2026}")
    dry = runner.invoke(args=["plan", "import", str(PLAN_2026), "--year", "2026", "--dry-run"])
    assert dry.exit_code == 0 and "29 个条目" in dry.output and _count() == 0
    assert runner.invoke(args=["plan", "import", str(PLAN_2026), "--year", "2026", "--json"]).exit_code == 0
    assert _count() == 0  # --json only prints
    first = runner.invoke(args=["plan", "import", str(PLAN_2026), "--year", "2026"])
    assert first.exit_code == 0, first.output
    assert "已导入 2026 年工作要点：新建 29 个项目，更新 0 个" in first.output
    ids = set(db.session.scalars(select(Program.id)))
    again = runner.invoke(args=["plan", "import", str(PLAN_2026), "--year", "2026"])
    assert again.exit_code == 0 and "新建 0 个项目，更新 29 个" in again.output
    assert set(db.session.scalars(select(Program.id))) == ids
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "import.confirm")).all()
    assert len(entries) == 2 and all(e.actor_kind == "system" for e in entries)


def test_cli_without_a_district_refuses(runner: Any, tmp_path: Any) -> None:
    plan = tmp_path / "plan.txt"
    plan.write_text(ALIAS_PLAN, encoding="utf-8")
    result = runner.invoke(args=["plan", "import", str(plan)])
    assert result.exit_code == 2 and "区总工会" in result.output and "--dry-run" in result.output


def test_alias_added_on_the_admin_page_is_used(client: Any, login: Any, district: dict[str, Any]) -> None:
    login(district["admin"])
    page = client.get("/programs/import/aliases").get_data(as_text=True)
    assert "权益部" in page and "权益保障部" in page  # built-in aliases are listed
    resp = client.post("/programs/import/aliases", data={"alias": "工会办", "organization": "办公室"})
    assert resp.status_code == 302
    assert "工会办" in client.get("/programs/import/aliases").get_data(as_text=True)
    upload = client.post("/programs/import", data={"text": ALIAS_PLAN})
    html = client.get(upload.headers["Location"]).get_data(as_text=True)
    assert "单位“工会办”未对应到组织" not in html and "单位“综治部”未对应到组织" in html
    assert client.post(upload.headers["Location"], data=browser_form(html)).status_code == 302
    program = db.session.scalar(select(Program).where(Program.plan_item == "1"))
    assert program is not None and [d.name for d in program.lead_departments] == ["办公室"]


def test_alias_cli_and_bad_alias_input(runner: Any, client: Any, login: Any, district: dict[str, Any],
                                       tmp_path: Any) -> None:
    result = runner.invoke(args=["plan", "alias", "add", "综治部", "权益部"])  # FULL may be an alias itself
    assert result.exit_code == 0 and "综治部 = 权益保障部" in result.output
    assert runner.invoke(args=["plan", "alias", "add", "某某部", "不存在的部"]).exit_code == 1
    plan = tmp_path / "plan.txt"
    plan.write_text(ALIAS_PLAN, encoding="utf-8")
    assert "单位“综治部”未对应" not in runner.invoke(args=["plan", "import", str(plan), "--dry-run"]).output
    login(district["admin"])
    assert client.post("/programs/import/aliases", data={"alias": "工会办", "organization": ""}).status_code == 400
    assert client.post("/programs/import/aliases", data={"alias": "x", "organization": "办公室"}).status_code == 400
    row = db.session.scalar(select(PlanUnitAlias).where(PlanUnitAlias.alias == "综治部"))
    assert row is not None
    assert client.post(f"/programs/import/aliases/{row.id}/delete").status_code == 302
    assert db.session.scalar(select(func.count(PlanUnitAlias.id))) == 0
    login(district["org_a"])
    assert client.get("/programs/import/aliases").status_code == 403
