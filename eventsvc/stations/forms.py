"""Station forms: create/edit (with this year's program) and the bulk-service record."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange
from wtforms.validators import Optional as OptionalValue

from eventsvc.stations.models import STATION_KINDS


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class StationForm(FlaskForm):
    """A station's details; the services list is one per line."""

    organization_id = SelectField("主办单位", coerce=int, validators=[InputRequired("请选择主办单位")])
    name = StringField("阵地名称", filters=[_strip], validators=[
        DataRequired("请填写阵地名称"), Length(max=120, message="最多 120 字")])
    kind = SelectField("阵地类型", choices=list(STATION_KINDS))
    address = StringField("地址", filters=[_strip], validators=[Length(max=200, message="最多 200 字")])
    opening_hours = StringField("开放时间", filters=[_strip], validators=[Length(max=100, message="最多 100 字")])
    services = TextAreaField("服务项目（每行一项）", validators=[Length(max=2000, message="最多 2000 字")])
    program_id = SelectField("本年度计入项目", coerce=int, default=0)
    is_active = BooleanField("启用（停用后扫码不能登记）", default=True)


class SupplyForm(FlaskForm):
    """Services given in bulk today: label, quantity, unit."""

    label = StringField("服务内容", filters=[_strip], validators=[
        DataRequired("请填写服务内容"), Length(max=40, message="最多 40 字")])
    quantity = IntegerField("数量", validators=[
        InputRequired("请填写数量"), NumberRange(min=1, max=1_000_000, message="数量应为 1 到 1000000 之间的整数")])
    unit = StringField("单位", filters=[_strip], validators=[OptionalValue(), Length(max=10, message="最多 10 字")])
    note = StringField("备注", filters=[_strip], validators=[OptionalValue(), Length(max=200, message="最多 200 字")])
