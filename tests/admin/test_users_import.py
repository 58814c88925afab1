"""Account sheets: preview → confirm, passwords handed out once, scope and role rules per row, the CLI."""
from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from eventsvc.audit.models import AuditEntry
from eventsvc.extensions import db
from eventsvc.imports.models import ImportPreview
from eventsvc.orgs.models import User

LoginFn = Callable[..., FlaskClient]
HEADER = ["用户名", "姓名", "手机号", "所属组织", "角色"]


def sheet(*rows: list[str]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client: FlaskClient, data: bytes) -> Any:
    return client.post("/admin/users/import", data={"file": (io.BytesIO(data), "accounts.xlsx")},
                       content_type="multipart/form-data")


def token_of(html: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', html)
    assert found, html[:800]
    return found.group(1)


def count_users() -> int:
    return int(db.session.scalar(select(func.count(User.id))) or 0)


def test_preview_then_confirm_creates_accounts_and_hands_out_passwords_once(
    app: Flask, login: LoginFn, tree: dict[str, Any]
) -> None:
    client = login(tree["admin"])
    before = count_users()
    data = sheet(["ph_org1", "张一", "13800001111", "平湖街道总工会", "活动组织者"],
                 ["ph_chk1", "李二", "", "平湖街道白坭坑社区工联会", "签到核销员"],
                 ["org_a", "已存在", "", "平湖街道总工会", "只读查看"])
    resp = upload(client, data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "将新建 2 个" in html and "用户名已存在" in html and "138****1111" in html
    assert count_users() == before  # nothing yet
    resp = client.post("/admin/users/import/confirm", data={"token": token_of(html)})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store" and "已导入 2 个账号" in html
    assert count_users() == before + 2 and db.session.scalar(select(func.count(ImportPreview.id))) == 0
    # The xlsx travels inside the page; its passwords log in and must then be changed.
    link = re.search(r'href="data:[^;]+;base64,([^"]+)"', html)
    assert link is not None
    ws = load_workbook(io.BytesIO(base64.b64decode(link.group(1)))).active
    assert ws is not None
    rows = {r[0]: r[4] for r in ws.iter_rows(min_row=2, values_only=True) if r[0] and r[4]}
    assert set(rows) == {"ph_org1", "ph_chk1"} and rows["ph_org1"] in html
    created = db.session.scalar(select(User).where(User.username == "ph_org1"))
    assert created is not None and created.must_change_password and rows["ph_org1"] not in created.password_hash
    fresh = app.test_client()
    resp = fresh.post("/login", data={"username": "ph_chk1", "password": rows["ph_chk1"]})
    assert resp.headers["Location"] == "/account/password"
    # Confirming the same preview again writes nothing.
    again = client.post("/admin/users/import/confirm", data={"token": token_of(upload(client, data).get_data(
        as_text=True))})
    assert "已导入 0 个账号" in again.get_data(as_text=True) or again.status_code == 302
    assert count_users() == before + 2
    # One entry per imported file (besides each account's user.create), not two (issue 9).
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "user.import")) == 0
    confirms = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "import.confirm")).all()
    assert (confirms[0].changes or {})["added"] == 2 and confirms[0].actor_id == tree["admin"].id
    assert all((e.changes or {})["added"] == 0 for e in confirms[1:])  # the repeat added nothing
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "user.create", AuditEntry.actor_id == tree["admin"].id)) == 2


def test_street_admin_rows_outside_scope_or_above_its_grant_are_errors(
    login: LoginFn, tree: dict[str, Any], create_user: Callable[..., User]
) -> None:
    street_admin = create_user("admin", org=tree["a"], username="admin_a")
    client = login(street_admin)
    before = count_users()
    resp = upload(client, sheet(["x1", "甲", "", "坂田街道总工会", "签到核销员"],
                                ["x2", "乙", "", "平湖街道总工会", "管理员"],
                                ["x3", "丙", "12345", "平湖街道总工会", "签到核销员"],
                                ["x4", "丁", "", "平湖街道总工会", "老板"],
                                ["x5", "戊", "", "平湖街道白坭坑社区工联会", "管理员"]))
    html = resp.get_data(as_text=True)
    assert "“坂田街道总工会”不存在或不在您的管理范围内" in html
    assert "管理员只能由上级组织的管理员设置" in html and "不是有效的 11 位手机号" in html and "角色“老板”无效" in html
    assert "有 4 行有误，整表不能导入" in html
    client.post("/admin/users/import/confirm", data={"token": token_of(html)})
    assert count_users() == before


def test_bad_file_is_a_clear_400(login: LoginFn, tree: dict[str, Any]) -> None:
    resp = upload(login(tree["admin"]), b"not a spreadsheet")
    assert resp.status_code == 400 and "xlsx" in resp.get_data(as_text=True)
    wb = Workbook()
    out = io.BytesIO()
    wb.save(out)
    resp = upload(login(tree["admin"]), out.getvalue())
    assert resp.status_code == 400


def test_template_downloads(login: LoginFn, tree: dict[str, Any]) -> None:
    resp = login(tree["admin"]).get("/admin/users/template.xlsx")
    ws = load_workbook(io.BytesIO(resp.data)).active
    assert ws is not None and [c.value for c in ws[1]] == HEADER


def test_cli_dry_run_then_import_writes_a_private_password_file(
    runner: FlaskCliRunner, tree: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "accounts.xlsx"
    path.write_bytes(sheet(["cli_user", "王五", "13900002222", "平湖街道总工会", "organizer"]))
    before = count_users()
    result = runner.invoke(args=["users", "import", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "将新建" in result.output and "未写入" in result.output and count_users() == before
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "accounts-初始密码.xlsx"
    assert out.exists() and (out.stat().st_mode & 0o077) == 0
    ws = load_workbook(out).active
    assert ws is not None
    username, password = ws["A2"].value, ws["E2"].value
    user = db.session.scalar(select(User).where(User.username == username))
    assert user is not None and user.must_change_password and user.check_password(str(password))
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "import.confirm")).one()
    assert entry.actor_kind == "system" and entry.changes is not None and entry.changes["usernames"] == ["cli_user"]
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "user.import")) == 0
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(sheet(["cli_x", "赵六", "", "不存在的组织", "organizer"]))
    result = runner.invoke(args=["users", "import", str(bad)])
    assert result.exit_code != 0 and "没有创建任何账号" in result.output
