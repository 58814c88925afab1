"""Forms of the unit administration pages."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from eventsvc.orgs.models import DEPARTMENT, DISTRICT, FEDERATION, KIND_LABELS, SUBTYPE_LABELS, Organization

# One select for kind and subtype: "federation:community" is a 社区工联会.
KIND_CHOICES = [(DEPARTMENT, KIND_LABELS[DEPARTMENT]), ("street", KIND_LABELS["street"]),
                (FEDERATION, KIND_LABELS[FEDERATION]),
                *((f"{FEDERATION}:{code}", label + KIND_LABELS[FEDERATION]) for code, label in SUBTYPE_LABELS.items()),
                ("workplace", KIND_LABELS["workplace"])]


def kind_value(org: Organization) -> str:
    """Return the select value that stands for a unit's kind and subtype."""
    return f"{org.kind}:{org.subtype}" if org.subtype else org.kind


def split_kind(value: str) -> tuple[str, str]:
    """Turn a select value back into (kind, subtype)."""
    kind, _, subtype = value.partition(":")
    return kind, subtype


class UnitForm(FlaskForm):
    name = StringField("组织名称", validators=[DataRequired("请填写组织名称"),
                                           Length(max=100, message="不能超过 100 个字")])
    short_name = StringField("简称", validators=[Length(max=40, message="不能超过 40 个字")])
    kind = SelectField("类型", validators=[DataRequired("请选择类型")])
    parent_id = SelectField("上级组织", coerce=int, validators=[DataRequired("请选择上级组织")])
    contact_name = StringField("联系人", validators=[Length(max=40, message="不能超过 40 个字")])
    contact_phone = StringField("联系电话", validators=[Length(max=20, message="不能超过 20 个字符")])
    sort_order = IntegerField("排序", default=0,
                              validators=[Optional(), NumberRange(-9999, 9999, "请填写 -9999 到 9999")])

    def set_kind_choices(self, current: Organization | None = None) -> None:
        """Offer the kinds a unit can take; the district root keeps its own (it cannot change)."""
        if current is not None and current.kind == DISTRICT:
            self.kind.choices = [(DISTRICT, KIND_LABELS[DISTRICT])]
        else:
            self.kind.choices = list(KIND_CHOICES)


class MoveForm(FlaskForm):
    parent_id = SelectField("新的上级组织", coerce=int, validators=[DataRequired("请选择新的上级组织")])
    confirmed = HiddenField(default="")


class ConfirmForm(FlaskForm):
    """A form with only the CSRF token: the confirmation pages post it."""
