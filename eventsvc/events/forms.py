"""Event forms: create/edit (times typed in China time, stored in UTC) and the cancel confirmation."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import DateTimeLocalField
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import get_translations
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError
from wtforms.validators import Optional as OptionalValue
from wtforms.widgets import CheckboxInput, ListWidget

from eventsvc.core.figures import Number, parse_figure
from eventsvc.core.inputs import FiniteDecimalField, date_in_range, int_at_most
from eventsvc.core.timeutil import from_local, to_local
from eventsvc.events.models import (
    KINDS,
    LEVELS,
    QR_DYNAMIC,
    QR_STATIC,
    REG_OFF,
    REG_ON,
    TARGET_GROUPS,
    Event,
)

# The browser's datetime-local sends "2026-07-01T09:30"; the first format is also what we render.
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
BAD_TIME = "请按“年-月-日 时:分”填写时间"
BAD_NUMBER = "请填写整数"

# Form fields that hold China time; the database keeps UTC.
TIME_FIELDS = ("starts_at", "ends_at", "checkin_opens_at", "checkin_closes_at",
               "registration_opens_at", "registration_closes_at")
PLAIN_FIELDS = ("title", "description", "level", "kind", "venue_name", "venue_address", "capacity",
                "target_groups", "registration_mode", "registration_capacity", "waitlist_enabled",
                "requires_registration", "qr_mode", "checkout_enabled", "expected_attendance",
                "onsite_count", "onsite_note", "online_count", "online_note", "co_organizers")
MAX_FIGURE = 10_000_000
EXTRA_QUANTITY_ROWS = 2


def _local_time(label: str, required: bool = False) -> DateTimeLocalField:
    # InputRequired (not DataRequired) so an unparsable time keeps its own message.
    first = InputRequired("请填写时间") if required else OptionalValue()
    return DateTimeLocalField(label, validators=[first, date_in_range()], format=LOCAL_FORMATS,
                              invalid_value_message=BAD_TIME)


def _at_least(minimum: int, message: str) -> Callable[[Any, Any], None]:
    """Check a number's lower bound, staying quiet when the number did not parse (its message says why)."""

    def check(form: Any, field: Any) -> None:
        if field.data is not None and field.data < minimum:
            raise ValidationError(message)

    return check


def _at_most(maximum: int, message: str) -> Callable[[Any, Any], None]:
    """Check a number's upper bound (decimals too: the column keeps hundredths in an INTEGER)."""

    def check(form: Any, field: Any) -> None:
        if field.data is not None and field.data > maximum:
            raise ValidationError(message)

    return check


def _count(label: str) -> IntegerField:
    return IntegerField(label, validators=[OptionalValue(), _at_least(1, "人数必须是正整数"), int_at_most()],
                        invalid_value_message=BAD_NUMBER)


class ChineseForm(FlaskForm):
    """A FlaskForm whose built-in messages ("Not a valid choice") come out in Chinese."""

    class Meta:
        locales = ["zh"]

        def get_translations(self, form: Any) -> Any:
            return get_translations(self.locales)


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (target groups) instead of a multi-select box phones handle badly."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class QuantityRow(Form):
    """One counted quantity: 清凉礼包 / 份 / 300 (no CSRF: it is nested in EventForm)."""

    class Meta:
        locales = ["zh"]

    label = StringField("名称", validators=[Length(max=40, message="名称不能超过 40 个字")])
    unit = StringField("单位", validators=[Length(max=10, message="单位不能超过 10 个字")])
    # Decimals for money recorded per event (3.2 万元); stored as hundredths (core/figures.py).
    value = FiniteDecimalField("数量", validators=[OptionalValue(), _at_least(0, "数量不能为负数"),
                                                 _at_most(MAX_FIGURE, "数量太大，请检查后重新填写")],
                               places=None, invalid_value_message="请填写数字（最多两位小数）")


class EventForm(ChineseForm):
    """Everything an organizer sets on an event; select choices are filled in by the view."""

    program_id = SelectField("所属项目", coerce=int, validators=[DataRequired("请选择所属项目")],
                             validate_choice=True)
    organization_id = SelectField("主办单位", coerce=int, validators=[DataRequired("请选择主办单位")])
    title = StringField(
        "活动名称", validators=[DataRequired("请填写活动名称"), Length(max=120, message="活动名称不能超过 120 个字")]
    )
    description = TextAreaField("活动内容", validators=[Length(max=5000, message="内容太长")])
    level = SelectField("活动级别", choices=list(LEVELS), default="街道级")
    kind = SelectField("活动类型", choices=list(KINDS), default="其他")
    starts_at = _local_time("开始时间", required=True)
    ends_at = _local_time("结束时间", required=True)
    venue_name = StringField("活动地点", validators=[Length(max=120, message="地点名称不能超过 120 个字")])
    venue_address = StringField("详细地址", validators=[Length(max=200, message="地址不能超过 200 个字")])
    capacity = _count("场地容量（人）")
    target_groups = MultiCheckboxField("服务对象", choices=list(TARGET_GROUPS))
    checkin_opens_at = _local_time("签到开始（可选）")
    checkin_closes_at = _local_time("签到截止（可选）")
    quantities = FieldList(FormField(QuantityRow), min_entries=0)

    registration_mode = SelectField(
        "活动报名", choices=[SelectChoice(REG_OFF, "不需要报名"), SelectChoice(REG_ON, "开放报名")], default=REG_OFF
    )
    registration_opens_at = _local_time("报名开始（可选）")
    registration_closes_at = _local_time("报名截止（可选）")
    registration_capacity = _count("报名名额（人）")
    waitlist_enabled = BooleanField("名额满后允许候补", default=True)
    requires_registration = BooleanField("仅限已报名职工签到")
    qr_mode = SelectField("签到二维码", choices=[SelectChoice(QR_STATIC, "固定二维码（可打印张贴）"),
                                             SelectChoice(QR_DYNAMIC, "动态二维码（现场屏幕展示，定时刷新，防转发）")],
                          default=QR_STATIC)
    checkout_enabled = BooleanField("需要签退（记录离场时间）")
    expected_attendance = _count("预计参加人数")

    # Issue 10 §3: attendance reported where names cannot be collected; §4: programs and joint organizers.
    onsite_count = IntegerField("现场人数（填报）", validators=[OptionalValue(), _at_least(0, "人数不能为负数"),
                                                          int_at_most(1_000_000)], invalid_value_message=BAD_NUMBER)
    onsite_note = StringField("现场人数说明", validators=[Length(max=200, message="说明不能超过 200 个字")])
    online_count = IntegerField("线上人次（填报）", validators=[OptionalValue(), _at_least(0, "人次不能为负数"),
                                                          int_at_most(1_000_000)], invalid_value_message=BAD_NUMBER)
    online_note = StringField("线上人次说明", validators=[Length(max=200, message="说明不能超过 200 个字")])
    additional_program_ids = MultiCheckboxField("同时计入的项目", coerce=int)
    co_organization_id = SelectField("联合主办单位", coerce=int, default=0)
    co_organizers = StringField("其他联合单位（如：区人社局）",
                                validators=[Length(max=200, message="不能超过 200 个字")])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.quantity_errors: list[str] = []

    def validate(self, extra_validators: dict[str, Any] | None = None) -> bool:
        """Add the cross-field rules a single field cannot see."""
        ok: bool = super().validate(extra_validators)
        # The operation checks these too, but only once the rest is valid: here they show in the same pass.
        for start, end, message in (
            (self.starts_at, self.ends_at, "结束时间必须晚于开始时间"),
            (self.checkin_opens_at, self.checkin_closes_at, "签到截止时间必须晚于签到开始时间"),
            (self.registration_opens_at, self.registration_closes_at, "报名截止时间必须晚于报名开始时间"),
        ):
            if start.data and end.data and end.data <= start.data:
                end.errors.append(message)
                ok = False
        for row in self.quantities:
            if row.form.value.data is not None and not (row.form.label.data or "").strip():
                row.form.label.errors.append("请填写名称")
                ok = False
        return ok

    def operation_values(self) -> dict[str, Any]:
        """Return the editable fields as events.operations expects them (times converted to UTC)."""
        values: dict[str, Any] = {name: getattr(self, name).data for name in PLAIN_FIELDS}
        for name in TIME_FIELDS:
            values[name] = from_local(getattr(self, name).data)
        values["target_groups"] = list(self.target_groups.data or [])
        values["co_organization_id"] = self.co_organization_id.data or None  # 0: none chosen
        return values

    def quantity_rows(self) -> list[tuple[str, str, Number]]:
        """Return the filled-in quantity rows; a label without a number is not recorded yet."""
        rows: list[tuple[str, str, Number]] = []
        for row in self.quantities:
            label = (row.form.label.data or "").strip()
            value = parse_figure(str(row.form.value.data)) if row.form.value.data is not None else None
            if label and value is not None:
                rows.append((label, (row.form.unit.data or "").strip(), value))
        return rows

    def add_blank_quantity_rows(self, labels: Sequence[tuple[str, str]] = ()) -> None:
        """Offer the program's custom labels not yet filled in, plus a few empty rows."""
        present = {(row.form.label.data or "").strip() for row in self.quantities}
        for label, unit in labels:
            if label not in present:
                self.quantities.append_entry({"label": label, "unit": unit, "value": None})
                present.add(label)
        for _ in range(EXTRA_QUANTITY_ROWS):
            self.quantities.append_entry({"label": "", "unit": "", "value": None})


def event_form_data(event: Event) -> dict[str, Any]:
    """Return the form's initial data for an existing event (times in China time)."""
    data: dict[str, Any] = {name: getattr(event, name) for name in PLAIN_FIELDS}
    for name in TIME_FIELDS:
        value: datetime | None = getattr(event, name)
        data[name] = to_local(value)
    data["target_groups"] = event.group_list
    data["program_id"] = event.program_id
    data["organization_id"] = event.organization_id
    data["quantities"] = [{"label": q.label, "unit": q.unit, "value": q.value} for q in event.quantities]
    data["co_organization_id"] = event.co_organization_id or 0
    data["additional_program_ids"] = [p.id for p in event.additional_programs]
    return data


class CancelForm(ChineseForm):
    """The confirmation step before an event is cancelled."""

    reason = TextAreaField("取消原因（可选）", validators=[Length(max=200, message="原因不能超过 200 个字")])
