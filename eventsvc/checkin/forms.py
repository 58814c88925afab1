"""The one form for a worker's details, used by the public pages, the staff walk-in and the scanner's JSON."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Field, StringField
from wtforms.validators import AnyOf, DataRequired, Length, ValidationError
from wtforms.validators import Optional as OptionalValue

from eventsvc.checkin.operations import GROUPS
from eventsvc.core.phones import InvalidPhone, normalize_phone

FIELDS = ("name", "phone", "workplace", "group")


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _mobile(form: FlaskForm, field: Field) -> None:
    try:
        field.data = normalize_phone(field.data)
    except InvalidPhone as exc:
        raise ValidationError(str(exc)) from None


class PersonForm(FlaskForm):
    """Name, phone, workplace and 人群类别, validated as the participant rules require."""

    FIELDS = FIELDS

    class Meta:
        # CSRFProtect has checked every POST before any view runs (pages render the global csrf_token()):
        # a second, per-form check would sign and verify the token again on every check-in.
        csrf = False

    name = StringField("姓名", filters=[_strip], validators=[
        DataRequired("请填写姓名"), Length(max=40, message="姓名不能超过 40 个字")])
    phone = StringField("手机号", filters=[_strip], validators=[DataRequired("请填写手机号"), _mobile])
    workplace = StringField("单位", filters=[_strip], validators=[
        Length(max=100, message="单位名称不能超过 100 个字")])
    # A StringField, not a SelectField: the public page shows radios, staff a select, both from GROUPS.
    group = StringField("人群类别", filters=[_strip], validators=[
        OptionalValue(), AnyOf(GROUPS, message="请选择人群类别")])

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> PersonForm:
        """Build the form from a dict (a JSON body, the remembered cookie) instead of the posted fields."""
        values = data or {}
        formdata = MultiDict({k: _text(values.get(k)) for k in FIELDS})
        return cls(formdata=formdata)

    def details(self) -> dict[str, str]:
        """Return the cleaned details (phone normalized) after a successful validate()."""
        return {k: str(getattr(self, k).data or "") for k in FIELDS}

    def first_errors(self) -> dict[str, str]:
        """Return one message per field at fault (what the partial shows under each field)."""
        return {name: errors[0] for name, errors in self.errors.items() if errors and name in FIELDS}

    def first_error(self) -> str:
        """Return the first message in field order, for answers that show a single line."""
        errors = self.first_errors()
        return next((errors[k] for k in FIELDS if k in errors), "请核对填写的信息")


def _text(value: Any) -> str:
    """Return a JSON scalar as text (a phone may arrive as a number); anything else as empty."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""
