"""Account sheets (用户名, 姓名, 手机号, 所属组织, 角色): rows become staff accounts with temporary passwords.

The passwords are generated while confirming, handed back once (`issued`, for the page's download or the CLI's
file) and stored only as hashes; every new account must change its password at first login.
"""
from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from eventsvc.audit.operations import record
from eventsvc.core.exceptions import OperationError
from eventsvc.core.passwords import generate_temporary_password
from eventsvc.core.permissions import ADMIN, ALL_ROLES, CHECKER, ORGANIZER, ROLE_LABELS, VIEWER
from eventsvc.core.phones import InvalidPhone, normalize_phone
from eventsvc.core.textsafe import neutralize_cell
from eventsvc.db import savepoint
from eventsvc.extensions import db
from eventsvc.imports.kinds import ALREADY, DUPLICATE, NEW, ImportKind, Verdict, register
from eventsvc.imports.xlsx import read_rows
from eventsvc.orgs.models import Organization, User
from eventsvc.orgs.operations.accounts import assignable_roles, create_user

MAX_ROWS = 1000
HEADER_ALIASES = {
    "username": ("用户名", "账号", "登录名"),
    "display_name": ("姓名", "名字"),
    "phone": ("手机号", "手机号码", "手机", "联系电话"),
    "organization": ("所属组织", "组织", "所属单位", "单位"),
    "role": ("角色",),
}
ROLE_TEXTS = {
    **{label: role for role, label in ROLE_LABELS.items()}, **{role: role for role in ALL_ROLES},
    "组织者": ORGANIZER, "核销员": CHECKER, "签到员": CHECKER, "查看": VIEWER, "只读": VIEWER,
}


@dataclass(kw_only=True)
class UserRow(Verdict):
    """A sheet line, cleaned when valid, with its verdict."""

    username: str
    display_name: str
    phone: str
    org_text: str
    role_text: str
    role: str = ""
    organization_id: int | None = None


@dataclass
class Issued:
    """A created account and its temporary password: shown once, never stored in plain."""

    username: str
    display_name: str
    organization: str
    role_label: str
    password: str


def _candidates(scope: Organization) -> dict[str, list[Organization]]:
    """Active units in scope by full name and by short name (one name may fit several units)."""
    found: dict[str, list[Organization]] = {}
    for org in db.session.scalars(select(Organization).where(
            Organization.path.startswith(scope.path), Organization.is_active.is_(True))):
        for name in {org.name, org.short_name} - {""}:
            found.setdefault(name, []).append(org)
    return found


def classify_user_rows(rows: Iterable[dict[str, Any]], scope: Organization, by: User | None) -> list[UserRow]:
    """Judge every row: new, existing username, repeated in the sheet, or an error (with the reason)."""
    units = _candidates(scope)
    rows = list(rows)
    typed = [str(r.get("username") or "").strip() for r in rows]
    taken = set(db.session.scalars(select(User.username).where(User.username.in_(typed)))) if typed else set()
    seen: dict[str, int] = {}
    result: list[UserRow] = []
    for raw in rows:
        text = {key: str(raw.get(key) or "").strip() for key in HEADER_ALIASES}
        row = UserRow(line=int(raw["line"]), username=text["username"], display_name=text["display_name"],
                      phone=text["phone"], org_text=text["organization"], role_text=text["role"])
        result.append(row)
        row.reason = _problem(row, units, by)
        if row.reason:
            continue
        if row.username in taken:
            row.status, row.reason = ALREADY, "用户名已存在，跳过"
        elif row.username.lower() in seen:
            row.status, row.reason = DUPLICATE, f"与第 {seen[row.username.lower()]} 行用户名重复"
        else:
            row.status = NEW
            seen[row.username.lower()] = row.line
    return result


def _problem(row: UserRow, units: dict[str, list[Organization]], by: User | None) -> str:
    """Validate one row in place; return why it cannot be imported, or ""."""
    if not row.username or len(row.username) > 64:
        return "用户名必填，不超过 64 位"
    if not row.display_name:
        return "姓名必填"
    if row.phone:
        try:
            row.phone = normalize_phone(row.phone)
        except InvalidPhone:
            return f"手机号“{row.phone}”不是有效的 11 位手机号"
    matches = units.get(row.org_text, [])
    if not matches:
        return f"所属组织“{row.org_text}”不存在或不在您的管理范围内" if row.org_text else "所属组织必填"
    if len(matches) > 1:
        return f"有多个组织叫“{row.org_text}”，请填写全称"
    row.organization_id = matches[0].id
    row.role = ROLE_TEXTS.get(row.role_text, "")
    if not row.role:
        return f"角色“{row.role_text}”无效，应为：{'、'.join(ROLE_LABELS.values())}"
    if row.role not in assignable_roles(by, matches[0]):
        return f"您不能为“{matches[0].name}”设置{ROLE_LABELS[row.role]}（管理员只能由上级组织的管理员设置）"
    return ""


def apply_user_rows(verdicts: Sequence[Verdict], scope: Organization, *, by: User | None) -> list[Issued]:
    """Create the NEW rows' accounts with temporary passwords; return them. Any refusal names its line and raises."""
    issued: list[Issued] = []
    for row in verdicts:
        if row.status != NEW:
            continue
        assert isinstance(row, UserRow)  # classify made every verdict
        org = db.session.get(Organization, row.organization_id)
        password = generate_temporary_password()
        try:
            if org is None:
                raise OperationError("所属组织已不存在")
            user = create_user(row.username, password, row.role, org, by=by, display_name=row.display_name,
                               phone=row.phone, must_change_password=True)
        except OperationError as exc:
            raise OperationError(f"第 {row.line} 行：{exc.message.rstrip('。')}。没有导入任何账号。",
                                 code=exc.code) from exc
        issued.append(Issued(user.username, user.display_name, org.name, user.role_label, password))
    # Each account has its user.create entry; the file's one entry is the caller's (import.confirm).
    return issued


def parse_user_sheet(data: bytes) -> list[dict[str, Any]]:
    """Read the account sheet's filled-in lines."""
    return read_rows(
        data, HEADER_ALIASES, required=("username", "display_name", "organization", "role"), max_rows=MAX_ROWS,
        missing_columns="表格第一行必须有“用户名”“姓名”“所属组织”“角色”几列（“手机号”选填），请使用下载的模板填写。",
        empty="表格中没有填写任何账号。",
    )


@dataclass
class UserImport(ImportKind[Organization]):
    """Accounts into the acting administrator's scope; make one instance per request to collect `issued`."""

    by: User | None = None
    issued: list[Issued] = field(default_factory=list)
    name = "users"
    label = "账号导入"

    def check_allowed(self, target: Organization, by: User) -> None:
        if not by.is_admin or not by.reaches(target):
            raise OperationError("您无权在此处导入账号", code="forbidden")
        self.by = by

    def parse(self, data: bytes) -> list[dict[str, Any]]:
        return parse_user_sheet(data)

    def classify(self, target: Organization, rows: Sequence[dict[str, Any]]) -> list[Verdict]:
        return list(classify_user_rows(rows, target, self.by))

    def apply(self, target: Organization, verdicts: Sequence[Verdict], *, by: User) -> int:
        if any(v.status not in (NEW, ALREADY, DUPLICATE) for v in verdicts):
            raise OperationError("表格中有错误的行，整表不能导入；请改正后重新上传。", code="has_errors")
        self.issued = apply_user_rows(verdicts, target, by=by)
        return len(self.issued)


USER_SHEET = register(UserImport())


def import_without_preview(data: bytes, scope: Organization, *, dry_run: bool) -> tuple[list[UserRow], list[Issued]]:
    """The CLI's path (the system acts, so no stored preview): classify, then create unless dry-run or any error."""
    rows = classify_user_rows(parse_user_sheet(data), scope, None)
    if dry_run or any(r.status not in (NEW, ALREADY, DUPLICATE) for r in rows):
        return rows, []
    with savepoint(db.session()):
        issued = apply_user_rows(rows, scope, by=None)
        # The web path's confirm_import writes this entry; here the system confirms the file itself.
        record(None, "import.confirm", scope, summary=f"命令行导入{USER_SHEET.label}：新增 {len(issued)} 个账号",
               changes={"kind": USER_SHEET.name, "added": len(issued), "skipped": len(rows) - len(issued),
                        "usernames": [i.username for i in issued]})
    return rows, issued


def build_password_sheet(issued: Sequence[Issued]) -> bytes:
    """Return an xlsx of the new accounts and their temporary passwords, for the administrator to hand out."""
    from openpyxl import Workbook  # here, not at module level: workers that never export need not load it

    wb = Workbook()
    ws = wb.worksheets[0]
    ws.title = "初始密码"
    ws.append(["用户名", "姓名", "所属组织", "角色", "临时密码"])
    for item in issued:
        ws.append([neutralize_cell(v) for v in (item.username, item.display_name, item.organization,
                                                item.role_label, item.password)])
    ws.append([])
    ws.append(["说明：临时密码只在此表中出现一次，首次登录后必须修改。请妥善分发，分发后删除本文件。"])
    for col, width in zip("ABCDE", (18, 12, 36, 14, 18), strict=True):
        ws.column_dimensions[col].width = width
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def build_user_template() -> bytes:
    """Return the empty account sheet."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.worksheets[0]
    ws.title = "账号"
    ws.append(["用户名", "姓名", "手机号", "所属组织", "角色"])
    for col, width in zip("ABCDE", (18, 12, 16, 36, 14), strict=True):
        ws.column_dimensions[col].width = width
    notes = wb.create_sheet("填写说明")
    for line in (["示例", f"zhangsan_ph | 张三 | 13800138000 | 平湖街道总工会 | {ROLE_LABELS[ORGANIZER]}"],
                 ["用户名", "必填，字母、数字和 _ . - @，不超过 64 位；已存在的用户名会跳过"],
                 ["所属组织", "必填，填组织全称或简称，须在您的管理范围内"],
                 ["角色", "必填：" + "、".join(ROLE_LABELS.values()) + f"；{ROLE_LABELS[ADMIN]}只能设在您下级的组织"],
                 ["密码", "确认导入后系统为每个账号生成临时密码，可下载一次；首次登录须修改"]):
        notes.append(line)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
