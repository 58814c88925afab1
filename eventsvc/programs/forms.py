"""Program form: descriptive fields (WTForms) and a variable number of target rows (parsed by hand).

Target rows are plain inputs named targets-<i>-<field> so the page script can add rows without a
server round trip; WTForms' FieldList would need the same names but hides the blank-row rule.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.meta import DefaultMeta
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    ValidationError,
)
from wtforms.validators import Optional as OptionalValue
from wtforms.widgets import CheckboxInput, ListWidget

from eventsvc.core.figures import Number, parse_figure
from eventsvc.core.inputs import date_in_range
from eventsvc.extensions import db
from eventsvc.orgs.models import DEPARTMENT, DISTRICT, Organization, User
from eventsvc.orgs.queries import managed_org_choices, org_choices
from eventsvc.programs.models import (
    ATTENDANCES,
    CATEGORIES,
    CUSTOM,
    KIND_AMOUNT,
    KIND_EVENTS,
    KIND_RATE,
    KIND_REPORTED,
    PARTICIPANTS,
    SESSIONS,
    SRC_CHECKIN,
    SRC_ONSITE,
    Program,
    Target,
)
from eventsvc.programs.operations import TargetSpec

# The same level names events use; programs may not import events (import direction).
LEVELS = ("市级", "区级", "街道级", "社区级")
# The target editor's one "type" select: the counted metrics, then the kinds that are not counted
# from events (issue 10 §2); those are stored as metric CUSTOM with their kind.
METRIC_CHOICES = [(SESSIONS, "场次"), (ATTENDANCES, "人次"), (PARTICIPANTS, "人数"), (CUSTOM, "自定义（活动记录）"),
                  (KIND_AMOUNT, "金额（元/万元）"), (KIND_RATE, "比率（%）"), (KIND_REPORTED, "填报成果（家/名/个）")]
NON_EVENT_KINDS = (KIND_AMOUNT, KIND_RATE, KIND_REPORTED)
SOURCE_CHOICES = [("", "全部（扫码签到 + 现场填报 + 线上）"), (SRC_CHECKIN, "仅扫码签到"),
                  (f"{SRC_CHECKIN},{SRC_ONSITE}", "扫码签到 + 现场填报")]
BLANK_ROWS = 3
MAX_TARGET_ROWS = 80  # far above any real plan item; stops a crafted post from building thousands
MAX_TARGET_VALUE = 10_000_000
_ROW_KEY = re.compile(r"^targets-(\d{1,4})-(metric|value|label|unit|level|organization_id|sources|series_as_one)$")


class MultiSelectField(SelectMultipleField):
    """A multi-select whose refusal reads in Chinese (WTForms ships no translation for it)."""

    def pre_validate(self, form: object) -> None:
        allowed = {value for value, _ in self.choices or []}
        if any(value not in allowed for value in self.data or []):
            raise ValidationError("包含无效的选项，请重新选择")


class MultiCheckboxField(MultiSelectField):
    """A multi-select shown as a list of checkboxes (easier than ctrl-click on a phone)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProgramForm(FlaskForm):
    """Descriptive fields of a program; choices depend on the user, so build with for_user()."""

    class Meta:
        locales = ["zh"]  # WTForms' own messages (invalid date, invalid choice) in Chinese

        def get_translations(self, form: Any) -> Any:
            # Flask-WTF only translates through Flask-Babel; use WTForms' bundled catalogue instead.
            return DefaultMeta.get_translations(self, form)

    year = IntegerField(
        "年度", validators=[InputRequired("请填写年度"), NumberRange(2000, 2100, "年度应在 2000–2100 之间")]
    )
    name = StringField(
        "项目名称", validators=[DataRequired("请填写项目名称"), Length(max=120, message="项目名称最多 120 字")]
    )
    category = SelectField("类别", default="")
    plan_item = StringField("工作要点条目", validators=[OptionalValue(), Length(max=20, message="最多 20 字")])
    description = TextAreaField("项目说明", validators=[OptionalValue(), Length(max=5000, message="最多 5000 字")])
    starts_on = DateField("开始日期", validators=[OptionalValue(), date_in_range()])
    ends_on = DateField("结束日期", validators=[OptionalValue(), date_in_range()])
    organization_id = SelectField("主办单位", coerce=int)
    lead_department_ids = MultiCheckboxField("牵头部室", coerce=int)
    participating_org_ids = MultiSelectField("参与单位", coerce=int)

    def validate(self, extra_validators: dict[str, Any] | None = None) -> bool:
        """Also report reversed dates in the same pass as the other errors (the operation checks them later)."""
        ok: bool = super().validate(extra_validators)
        if self.starts_on.data and self.ends_on.data and self.ends_on.data < self.starts_on.data:
            self.ends_on.errors.append("结束日期不能早于开始日期")
            ok = False
        return ok

    @classmethod
    def for_user(cls, user: User, *, editing: bool = False, **kwargs: object) -> ProgramForm:
        """Build the form with the organization choices this user may use."""
        form = cls(**kwargs)
        # Choices are assigned here, not declared: WTForms 3.3 warns on tuple choices in declarations.
        form.category.choices = [("", "（未分类）")] + [(c, c) for c in CATEGORIES]
        scope = org_choices(user)
        kinds = dict(db.session.execute(
            select(Organization.id, Organization.kind).where(Organization.id.in_([i for i, _ in scope]))
        ).all())
        if editing:
            del form.organization_id  # update_program keeps the owner; it is shown, not edited
        else:
            form.organization_id.choices = managed_org_choices(user)  # owners the user may create for
        form.lead_department_ids.choices = [(o.id, o.name) for o in departments()]
        form.participating_org_ids.choices = [(i, n) for i, n in scope if kinds.get(i) not in (DISTRICT, DEPARTMENT)]
        return form


def departments() -> list[Organization]:
    """Return the active district departments (牵头部室 choices)."""
    return list(db.session.scalars(
        select(Organization)
        .where(Organization.kind == DEPARTMENT, Organization.is_active.is_(True))
        .order_by(Organization.sort_order, Organization.id)
    ))


def orgs_by_id(ids: Sequence[int]) -> list[Organization]:
    """Load organizations for submitted ids, in the order given."""
    if not ids:
        return []
    found = {o.id: o for o in db.session.scalars(select(Organization).where(Organization.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


@dataclass
class TargetRow:
    """One row of the targets editor as typed, with its errors (kept as text so nothing is lost)."""

    metric: str = SESSIONS
    value: str = ""
    label: str = ""
    unit: str = ""
    level: str = ""
    organization_id: str = ""
    sources: str = ""
    series_as_one: str = ""  # "1" when a 场次 target counts each series as one 项 (a checkbox)
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_target(cls, target: Target) -> TargetRow:
        return cls(
            metric=target.kind if target.kind in NON_EVENT_KINDS else target.metric, value=str(target.value),
            label=target.label, unit=target.unit, level=target.level,
            organization_id=str(target.organization_id or ""), sources=target.attendance_sources,
            series_as_one="1" if target.series_as_one else "",
        )

    @property
    def is_blank(self) -> bool:
        return not (self.value.strip() or self.label.strip() or self.unit.strip())


def rows_for(program: Program | None) -> list[TargetRow]:
    """Return the editor rows for a program's targets plus a few blank ones."""
    existing = [TargetRow.from_target(t) for t in program.targets] if program is not None else []
    return existing + [TargetRow() for _ in range(BLANK_ROWS)]


def rows_from_form(formdata: Mapping[str, str]) -> list[TargetRow]:
    """Read the submitted target rows in index order (indices may have gaps after removals)."""
    rows: dict[int, TargetRow] = {}
    for key in formdata:
        match = _ROW_KEY.match(key)
        if not match:
            continue
        index = int(match.group(1))
        if index not in rows and len(rows) >= MAX_TARGET_ROWS:
            continue
        setattr(rows.setdefault(index, TargetRow()), match.group(2), (formdata.get(key) or "").strip())
    return [rows[i] for i in sorted(rows)]


def specs_from_rows(rows: Sequence[TargetRow], allowed_org_ids: set[int]) -> list[TargetSpec] | None:
    """Check each non-blank row and turn it into a TargetSpec; None when any row has an error."""
    specs: list[TargetSpec] = []
    org_ids: list[int] = []
    pending: list[tuple[TargetRow, Number]] = []
    for row in rows:
        row.errors = []
        if row.is_blank:
            continue
        if row.metric not in dict(METRIC_CHOICES):
            row.errors.append("请选择目标类型")
        value = parse_figure(row.value) or 0
        whole = row.metric in (SESSIONS, ATTENDANCES, PARTICIPANTS)
        if not 0 < value <= MAX_TARGET_VALUE or (whole and value != int(value)):
            row.errors.append("目标数值请填写正整数" if whole else "目标数值请填写正数（最多两位小数）")
        elif row.metric == KIND_RATE and value > 100:
            row.errors.append("比率目标是百分数，不能超过 100")
        if row.sources not in dict(SOURCE_CHOICES):
            row.errors.append("人次的统计来源无效")
        if row.metric == CUSTOM or row.metric in NON_EVENT_KINDS:
            if not row.label or (not row.unit and row.metric != KIND_RATE):
                row.errors.append("自定义目标需要填写名称和单位（如：清凉礼包 / 份；参保额 / 万元）")
            if len(row.label) > 40 or len(row.unit) > 10:
                row.errors.append("名称最多 40 字，单位最多 10 字")
        if row.level and row.level not in LEVELS:
            row.errors.append("级别无效")
        elif row.level and row.metric != SESSIONS:
            row.errors.append("只有场次目标可以按级别设置")
        if row.series_as_one not in ("", "1"):
            row.errors.append("“每个系列计为一项”的取值无效")
        org_id = 0
        if row.organization_id:
            org_id = int(row.organization_id) if row.organization_id.isdecimal() else -1
            if org_id not in allowed_org_ids:
                row.errors.append("分解组织无效或不在您的管理范围内")
            else:
                org_ids.append(org_id)
        pending.append((row, value))
    if any(row.errors for row in rows):
        return None
    orgs = {o.id: o for o in orgs_by_id(org_ids)}
    for row, value in pending:
        kind = row.metric if row.metric in NON_EVENT_KINDS else KIND_EVENTS
        is_custom = row.metric == CUSTOM or kind != KIND_EVENTS
        specs.append(TargetSpec(
            metric=CUSTOM if is_custom else row.metric,
            value=value,
            label=row.label if is_custom else "",
            unit=("%" if kind == KIND_RATE else row.unit) if is_custom else "",
            organization=orgs.get(int(row.organization_id)) if row.organization_id else None,
            level=row.level if row.metric == SESSIONS else "",
            kind=kind,
            sources=tuple(x for x in row.sources.split(",") if x) if row.metric == ATTENDANCES else (),
            series_as_one=row.metric == SESSIONS and row.series_as_one == "1",
        ))
    return specs
