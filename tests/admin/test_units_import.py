"""Organization sheets: preview lists each row's problem and writes nothing, confirm is all-or-nothing,
export → import gives the same tree back, and the CLI does the same from a shell."""
from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import func, select

from eventsvc.audit.models import AuditEntry
from eventsvc.extensions import db
from eventsvc.imports.models import ImportPreview
from eventsvc.orgs.models import DISTRICT, Organization
from eventsvc.orgs.operations import units as ops
from tests.conftest import _empty_tables

PARK = "平湖华南城园区工联会"


def _sheet(client, rows: list[list[Any]]) -> bytes:  # type: ignore[no-untyped-def]
    """Fill the downloaded template with rows, as an administrator would."""
    book = load_workbook(io.BytesIO(client.get("/admin/organizations/template.xlsx").data))
    ws = book.worksheets[0]
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(client, data: bytes):  # type: ignore[no-untyped-def]
    return client.post("/admin/organizations/import", data={"file": (io.BytesIO(data), "组织.xlsx")},
                       content_type="multipart/form-data")


def _token(html: str) -> str:
    return html.split('name="token" value="', 1)[1].split('"', 1)[0]


def _units() -> int:
    return db.session.scalar(select(func.count(Organization.id))) or 0


def _rows_of(data: bytes) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(min_row=2, values_only=True)]


BAD_ROWS = [
    [PARK, "平湖街道总工会", "园区工联会", "华南城", "陈红", "13812345678"],     # 2: new
    ["华南城某公司工会", PARK, "单位工会", "", "", ""],                           # 3: new, parent is row 2
    ["平湖街道白坭坑社区工联会", "平湖街道总工会", "社区工联会", "", "", ""],     # 4: exists already
    [PARK, "平湖街道总工会", "园区工联会", "", "", ""],                           # 5: repeats row 2
    ["无名工会", "不存在的街道", "单位工会", "", "", ""],                         # 6: unknown parent
    ["太空工联会", "平湖街道总工会", "太空工联会", "", "", ""],                   # 7: bad kind
    ["早到的工会", "后面的工联会", "单位工会", "", "", ""],                       # 8: parent comes later
    ["后面的工联会", "平湖街道总工会", "工联会", "", "", ""],                     # 9: new
]


def test_preview_lists_each_bad_row_and_confirm_writes_nothing(client, login, tree):
    login(tree["admin"])
    before, seen = _units(), db.session.scalar(select(func.count(AuditEntry.id)))
    resp = _upload(client, _sheet(client, BAD_ROWS))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "将新增 3 个" in html and "有误 3 行" in html
    for reason in ("已存在，跳过", "与第 2 行重复", "找不到上级组织“不存在的街道”", "类型“太空工联会”无效",
                   "找不到上级组织“后面的工联会”（它在后面的行", "整表不能导入"):
        assert reason in html, reason
    assert "138****5678" in html and "13812345678" not in html
    assert _units() == before  # only the preview is stored
    assert db.session.scalar(select(func.count(ImportPreview.id))) == 1

    resp = client.post("/admin/organizations/import/confirm", data={"token": _token(html)}, follow_redirects=True)
    assert "第 6 行：找不到上级组织“不存在的街道”" in resp.get_data(as_text=True)
    assert _units() == before
    assert db.session.scalar(select(func.count(AuditEntry.id))) == seen


def test_confirm_adds_every_new_row_under_sheet_or_tree_parents(client, login, tree):
    login(tree["admin"])
    seen = db.session.scalar(select(func.max(AuditEntry.id))) or 0
    good = [r for i, r in enumerate(BAD_ROWS, start=2) if i in (2, 3, 4, 5, 9)]
    html = _upload(client, _sheet(client, good)).get_data(as_text=True)
    resp = client.post("/admin/organizations/import/confirm", data={"token": _token(html)}, follow_redirects=True)
    assert "已导入 3 个组织，跳过 2 行" in resp.get_data(as_text=True)
    park = db.session.scalar(select(Organization).where(Organization.name == PARK))
    company = db.session.scalar(select(Organization).where(Organization.name == "华南城某公司工会"))
    assert park is not None and park.parent_id == tree["a"].id and park.subtype == "park"
    assert park.contact_phone == "13812345678"
    assert company is not None and company.parent_id == park.id and company.path == f"{park.path}{company.id}/"
    actions = list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.id > seen)))
    assert actions.count("org.create") == 3 and actions.count("import.confirm") == 1
    assert db.session.scalar(select(func.count(ImportPreview.id))) == 0


def test_a_street_admin_imports_below_its_own_unit_only(client, login, tree, create_user):
    login(create_user("admin", org=tree["a"], username="admin_a"))
    rows = [["坂田某工会", "坂田街道总工会", "单位工会", "", "", ""],
            ["平湖某工会", "平湖街道总工会", "单位工会", "", "", ""]]
    html = _upload(client, _sheet(client, rows)).get_data(as_text=True)
    assert "找不到上级组织“坂田街道总工会”" in html and "将新增 1 个" in html


def test_export_then_import_gives_the_same_tree(client, login, tree, runner, tmp_path: Path):
    ops.create_organization(PARK, "federation", tree["a"], by=None, subtype="park", short_name="华南城",
                            contact_name="陈红", contact_phone="0755-28881234")
    ops.create_organization("=危险名称工会", "workplace", tree["a_child"], by=None)  # exported neutralized
    db.session.commit()
    login(tree["admin"])
    exported = client.get("/admin/organizations/export.xlsx")
    assert exported.status_code == 200 and exported.mimetype.endswith("spreadsheetml.sheet")
    first = _rows_of(exported.data)
    assert first[0] == ("深圳市龙岗区总工会", None, "区总工会", "区总工会", None, None)
    assert (PARK, "平湖街道总工会", "园区工联会", "华南城", "陈红", "0755-28881234") in first
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "org.export")) == 1

    client.post("/logout")
    _empty_tables()  # a brand-new installation
    path = tmp_path / "组织.xlsx"
    path.write_bytes(exported.data)
    result = runner.invoke(args=["orgs", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert f"已新增 {len(first)} 个组织" in result.output
    units = sorted(db.session.scalars(select(Organization)),
                   key=lambda u: [int(p) for p in u.path.strip("/").split("/")])
    from eventsvc.imports.org_sheet import build_org_sheet

    assert _rows_of(build_org_sheet(units)) == first
    assert units[0].kind == DISTRICT and units[0].parent_id is None


def test_cli_dry_run_says_what_would_happen_and_writes_nothing(client, login, tree, runner, tmp_path: Path):
    login(tree["admin"])
    path = tmp_path / "bad.xlsx"
    path.write_bytes(_sheet(client, BAD_ROWS))
    before = _units()
    result = runner.invoke(args=["orgs", "import", str(path), "--dry-run"])
    assert result.exit_code == 1
    assert "第 6 行 无名工会：有误，跳过：找不到上级组织“不存在的街道”" in result.output
    assert "第 4 行 平湖街道白坭坑社区工联会：重复，跳过：已存在，跳过" in result.output
    assert "3 行有误，没有导入任何组织（可导入 3 个）" in result.output

    good = tmp_path / "good.xlsx"
    good.write_bytes(_sheet(client, [BAD_ROWS[0], BAD_ROWS[1]]))
    result = runner.invoke(args=["orgs", "import", str(good), "--dry-run"])
    assert result.exit_code == 0 and "将新增 2 个组织（试运行，未写入）" in result.output
    assert _units() == before
    result = runner.invoke(args=["orgs", "import", str(good)])
    assert result.exit_code == 0 and "已新增 2 个组织" in result.output
    assert _units() == before + 2
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "import.confirm"))
    assert entry.actor_kind == "system"


def test_cli_list_json_prints_one_object_per_unit(tree, runner):
    result = runner.invoke(args=["orgs", "list", "--json"])
    assert result.exit_code == 0
    units = [json.loads(line) for line in result.output.splitlines()]
    assert len(units) == 4
    child = next(u for u in units if u["id"] == tree["a_child"].id)
    assert child == {"id": tree["a_child"].id, "name": "平湖街道白坭坑社区工联会", "kind": "工联会",
                     "parent": "平湖街道总工会", "path": tree["a_child"].path, "is_active": True}
    assert units[0]["parent"] is None


def test_broken_uploads_get_a_message_not_a_500(client, login, tree):
    login(tree["admin"])
    resp = _upload(client, b"not a spreadsheet")
    assert resp.status_code == 400 and "只支持 .xlsx" in resp.get_data(as_text=True)
    resp = client.post("/admin/organizations/import/confirm", data={"token": "nope"}, follow_redirects=True)
    assert "导入预览已失效" in resp.get_data(as_text=True)
