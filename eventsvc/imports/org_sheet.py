"""Organization sheets (组织名称, 上级组织, 类型, 简称, 联系人, 联系电话): import, template and export.

The target of an import is the top unit the administrator reaches; a row's parent is named by its full
name and may be a unit already in that subtree or a row earlier in the same sheet. Any row with an error
blocks the whole import (a tree with holes is worse than no tree); rows that exist already are skipped,
so the same sheet can be imported twice.
"""
from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from eventsvc.audit.operations import record
from eventsvc.core.exceptions import OperationError
from eventsvc.core.textsafe import neutralize_cell
from eventsvc.extensions import db
from eventsvc.imports.kinds import ALREADY, DUPLICATE, ERROR, NEW, ImportKind, Verdict, count_statuses, register
from eventsvc.imports.xlsx import read_rows
from eventsvc.orgs.models import DEPARTMENT, DISTRICT, FEDERATION, KIND_LABELS, SUBTYPE_LABELS, Organization, User
from eventsvc.orgs.operations.units import CONTACT_PHONE, create_organization

if TYPE_CHECKING:
    from openpyxl import Workbook

MAX_ROWS = 2000
COLUMNS = [("组织名称", 36), ("上级组织", 36), ("类型", 14), ("简称", 16), ("联系人", 12), ("联系电话", 18)]
HEADER_ALIASES = {
    "name": ("组织名称", "名称", "单位名称"),
    "parent": ("上级组织", "上级", "上级单位"),
    "kind": ("类型", "组织类型"),
    "short_name": ("简称",),
    "contact_name": ("联系人",),
    "contact_phone": ("联系电话", "电话", "联系人电话"),
    "contact": ("联系人/电话", "联系人/联系电话"),  # both in one cell: "张三 13812345678"
}
# "社区工联会" and "工联会（社区）" both name a federation with a subtype.
KIND_BY_TEXT: dict[str, tuple[str, str]] = {label: (kind, "") for kind, label in KIND_LABELS.items()}
for _code, _label in SUBTYPE_LABELS.items():
    KIND_BY_TEXT[_label + KIND_LABELS[FEDERATION]] = (FEDERATION, _code)
    KIND_BY_TEXT[f"{KIND_LABELS[FEDERATION]}（{_label}）"] = (FEDERATION, _code)
    KIND_BY_TEXT[f"{KIND_LABELS[FEDERATION]}({_label})"] = (FEDERATION, _code)
KIND_TEXTS = [KIND_LABELS[DISTRICT], KIND_LABELS[DEPARTMENT], "街道总工会", "工联会",
              *(label + "工联会" for label in SUBTYPE_LABELS.values()), "单位工会"]
_CONTACT = re.compile(r"^(?P<name>.*?)[\s/／,，、]*(?P<phone>\+?[0-9][0-9 \-]{4,18}[0-9])?$")


@dataclass(kw_only=True)
class OrgRow(Verdict):
    """A sheet line with where it goes: under an existing unit (`parent_id`) or an earlier row (`parent_line`)."""

    name: str
    parent_name: str
    kind_text: str
    short_name: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    kind: str = ""
    subtype: str = ""
    parent_id: int | None = None
    parent_line: int | None = None
    existing_id: int | None = None  # set when the unit exists already (ALREADY)


def _text(raw: dict[str, Any], key: str) -> str:
    value = str(raw.get(key) or "").strip()
    # Our own export prefixes formula-like text with an apostrophe; take it off again.
    return value[1:] if value[:2] in ("'=", "'+", "'-", "'@") else value


def _row_of(raw: dict[str, Any]) -> OrgRow:
    row = OrgRow(line=int(raw["line"]), name=_text(raw, "name"), parent_name=_text(raw, "parent"),
                 kind_text=_text(raw, "kind").replace(" ", ""), short_name=_text(raw, "short_name"),
                 contact_name=_text(raw, "contact_name"), contact_phone=_text(raw, "contact_phone"))
    combined = _text(raw, "contact")
    if combined and not (row.contact_name or row.contact_phone):
        match = _CONTACT.match(combined)
        row.contact_name = (match.group("name") if match else combined).strip()
        row.contact_phone = (match.group("phone") or "") if match else ""
    return row


def classify_org_rows(rows: Iterable[dict[str, Any]], scope: Organization | None) -> list[OrgRow]:
    """Judge each row against the units within `scope` (None: the whole tree, for the CLI); write nothing."""
    stmt = select(Organization)
    if scope is not None:
        stmt = stmt.where(Organization.path.startswith(scope.path, autoescape=True))
    units = list(db.session.scalars(stmt))
    by_name: dict[str, list[Organization]] = {}
    for unit in units:
        by_name.setdefault(unit.name, []).append(unit)
    has_root = scope is not None or db.session.scalar(
        select(Organization.id).where(Organization.parent_id.is_(None))) is not None
    parsed = [_row_of(raw) for raw in rows]
    later_names = {r.name for r in parsed}
    earlier: dict[str, list[OrgRow]] = {}  # sheet rows so far, by name
    for row in parsed:
        scope_parent = scope.parent.name if scope is not None and scope.parent else ""
        if scope is not None and row.name == scope.name and row.parent_name == scope_parent:
            # The administrator's own top unit, whose parent lies outside their scope (a re-imported export).
            row.status, row.existing_id, row.reason = ALREADY, scope.id, "已存在，跳过"
            row.kind, row.subtype = KIND_BY_TEXT.get(row.kind_text, (scope.kind, scope.subtype))
        else:
            _judge(row, by_name, earlier, later_names, has_root)
        earlier.setdefault(row.name, []).append(row)
    return parsed


def _judge(row: OrgRow, by_name: dict[str, list[Organization]], earlier: dict[str, list[OrgRow]],
           later_names: set[str], has_root: bool) -> None:
    if not row.name:
        row.reason = "请填写组织名称"
        return
    if len(row.name) > 100 or len(row.short_name) > 40 or len(row.contact_name) > 40:
        row.reason = "组织名称不超过 100 字，简称、联系人不超过 40 字"
        return
    if row.kind_text not in KIND_BY_TEXT:
        row.reason = f"类型“{row.kind_text}”无效，应为：{'、'.join(KIND_TEXTS)}" if row.kind_text else "请填写类型"
        return
    row.kind, row.subtype = KIND_BY_TEXT[row.kind_text]
    if not row.parent_name:
        _judge_root(row, by_name, has_root)
        return
    sheet_parents = [r for r in earlier.get(row.parent_name, []) if r.status != DUPLICATE]
    db_parents = by_name.get(row.parent_name, [])
    if len(sheet_parents) > 1 or (not sheet_parents and len(db_parents) > 1):
        row.reason = f"上级组织“{row.parent_name}”有多个同名组织，无法确定是哪一个"
        return
    parent_kind = ""
    if sheet_parents:
        parent_row = sheet_parents[0]
        if parent_row.status == ERROR:
            row.reason = f"上级组织“{row.parent_name}”（第 {parent_row.line} 行）有误"
            return
        if parent_row.existing_id is not None:
            row.parent_id = parent_row.existing_id
        else:
            row.parent_line = parent_row.line
        parent_kind = parent_row.kind
    elif db_parents:
        parent = db_parents[0]
        if not parent.is_active:
            row.reason = f"上级组织“{parent.name}”已停用"
            return
        row.parent_id, parent_kind = parent.id, parent.kind
    else:
        after = "（它在后面的行，请把上级组织放在前面）" if row.parent_name in later_names else ""
        row.reason = f"找不到上级组织“{row.parent_name}”{after}"
        return
    if row.kind == DISTRICT:
        row.reason = "区总工会只能是最上级组织，“上级组织”应留空"
    elif row.kind == DEPARTMENT and parent_kind != DISTRICT:
        row.reason = "部室只能直接设在区总工会下"
    elif row.contact_phone and not CONTACT_PHONE.match(row.contact_phone):
        row.reason = "联系电话格式不正确（手机号或座机号，如 0755-28888888）"
    else:
        _judge_duplicate(row, by_name, earlier)


def _judge_root(row: OrgRow, by_name: dict[str, list[Organization]], has_root: bool) -> None:
    existing = [u for u in by_name.get(row.name, []) if u.parent_id is None]
    if existing:
        row.status, row.existing_id, row.reason = ALREADY, existing[0].id, "已存在"
    elif row.kind == DISTRICT and not has_root:
        row.status = NEW
    else:
        row.reason = "请填写上级组织"


def _judge_duplicate(row: OrgRow, by_name: dict[str, list[Organization]], earlier: dict[str, list[OrgRow]]) -> None:
    same_sheet = [r for r in earlier.get(row.name, [])
                  if r.status != ERROR and (r.parent_id, r.parent_line) == (row.parent_id, row.parent_line)]
    if same_sheet:
        row.status, row.reason = DUPLICATE, f"与第 {same_sheet[0].line} 行重复"
        row.existing_id = same_sheet[0].existing_id
        row.parent_line = same_sheet[0].parent_line
        return
    if row.parent_id is not None:
        existing = [u for u in by_name.get(row.name, []) if u.parent_id == row.parent_id]
        if existing:
            row.status, row.existing_id, row.reason = ALREADY, existing[0].id, "已存在，跳过"
            return
    row.status = NEW


def apply_org_rows(verdicts: Sequence[Verdict], *, by: User | None) -> int:
    """Create the NEW rows in sheet order through create_organization; refuse everything if any row has an error."""
    bad = [v for v in verdicts if v.status == ERROR]
    if bad:
        raise OperationError(f"第 {bad[0].line} 行：{bad[0].reason.rstrip('。')}。请改正后重新上传，没有导入任何组织。",
                             code="bad_rows")
    created: dict[int, Organization] = {}
    for row in verdicts:
        assert isinstance(row, OrgRow)  # classify_org_rows made every verdict
        if row.status != NEW:
            continue
        parent = created.get(row.parent_line) if row.parent_line is not None else (
            db.session.get(Organization, row.parent_id) if row.parent_id is not None else None)
        try:
            created[row.line] = create_organization(
                row.name, row.kind, parent, by=by, short_name=row.short_name, subtype=row.subtype,
                contact_name=row.contact_name, contact_phone=row.contact_phone)
        except OperationError as exc:
            message = f"第 {row.line} 行：{exc.message.rstrip('。')}。没有导入任何组织。"
            raise OperationError(message, code=exc.code) from exc
    return len(created)


def parse_org_sheet(data: bytes) -> list[dict[str, Any]]:
    """Read an uploaded organization sheet into rows (raises ImportFileError)."""
    return read_rows(
        data, HEADER_ALIASES, required=("name", "parent", "kind"), max_rows=MAX_ROWS,
        missing_columns="表格第一行必须有“组织名称”“上级组织”“类型”三列，请使用下载的模板填写。",
        empty="表格中没有填写任何组织。",
    )


class OrgImport(ImportKind[Organization]):
    """Units typed into the organization sheet, added below the administrator's top unit."""

    name = "organizations"
    label = "组织架构表"

    def check_allowed(self, target: Organization, by: User) -> None:
        if not by.is_admin or not by.reaches(target):
            raise OperationError("您无权导入组织", code="forbidden")

    def parse(self, data: bytes) -> list[dict[str, Any]]:
        return parse_org_sheet(data)

    def classify(self, target: Organization, rows: Sequence[dict[str, Any]]) -> list[Verdict]:
        return list(classify_org_rows(rows, target))

    def apply(self, target: Organization, verdicts: Sequence[Verdict], *, by: User) -> int:
        return apply_org_rows(verdicts, by=by)


ORG_SHEET = register(OrgImport())


def import_without_preview(data: bytes, *, dry_run: bool) -> tuple[int, list[OrgRow]]:
    """Parse, classify and (unless dry_run or a row has an error) write a sheet as the system (the CLI's path).

    Returns how many units were (or would be) added, and every row with its verdict.
    """
    rows = classify_org_rows(parse_org_sheet(data), None)
    would_add = count_statuses(rows)[NEW]
    if dry_run or any(r.status == ERROR for r in rows):
        return would_add, rows
    added = apply_org_rows(rows, by=None)
    record(None, "import.confirm", object_type="organization",
           summary=f"命令行导入{ORG_SHEET.label}：新增 {added} 个组织",
           changes={"kind": ORG_SHEET.name, "added": added, "skipped": len(rows) - added})
    return added, rows


def _header(ws: Any) -> None:
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    for i, (title, width) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=i, value=title)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEEEEE")
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def build_org_sheet(units: Iterable[Organization]) -> bytes:
    """Return the units (parents before children) as an organization sheet; no units gives the empty template."""
    from openpyxl import Workbook  # here, not at module level: workers that never export need not load it
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.worksheets[0]
    ws.title = "组织架构"
    _header(ws)
    for row, unit in enumerate(units, start=2):
        values = [unit.name, unit.parent.name if unit.parent else "", unit.kind_label, unit.short_name,
                  unit.contact_name, unit.contact_phone]
        for col, value in enumerate(values, start=1):
            ws.cell(row=row, column=col, value=neutralize_cell(value)).number_format = "@"
    kinds = DataValidation(type="list", formula1='"' + ",".join(KIND_TEXTS) + '"', allow_blank=False)
    kinds.error = "请从下拉列表中选择类型"
    kinds.add("C2:C2001")
    ws.add_data_validation(kinds)
    notes = wb.create_sheet("填写说明")
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["B"].width = 80
    for label, text in [
        ("组织名称", "必填，全称，不超过 100 字；同一上级下不能重名"),
        ("上级组织", "必填（仅区总工会留空），填上级的全称；上级可以是系统中已有的组织，也可以是本表中前面的行"),
        ("类型", "必填：" + "、".join(KIND_TEXTS) + "；部室只能设在区总工会下"),
        ("简称", "选填，不超过 40 字，用于表格和图表"),
        ("联系人", "选填"),
        ("联系电话", "选填，手机号或座机号，如 0755-28888888"),
        ("导入规则", "上传后先预览，确认后才写入；任何一行有误时整表都不导入；已存在的组织会跳过"),
    ]:
        notes.append([label, text])
    return _save(wb)
