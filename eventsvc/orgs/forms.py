"""Login, own-password and account administration forms."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from eventsvc.core.passwords import POLICY_HINT


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=200)])
    remember = BooleanField("在此设备上保持登录")


class PasswordForm(FlaskForm):
    old_password = PasswordField("原密码", validators=[DataRequired("请输入原密码")])
    # The policy (length, username, common passwords) is checked by the operation, with its own messages.
    new_password = PasswordField("新密码", validators=[DataRequired("请输入新密码"), Length(max=200)],
                                 description=POLICY_HINT)
    confirm_password = PasswordField(
        "确认新密码", validators=[DataRequired("请再次输入新密码"), EqualTo("new_password", "两次输入的新密码不一致")]
    )


class UserForm(FlaskForm):
    """An account as an administrator creates or edits it (the username is fixed once created)."""

    username = StringField("用户名", validators=[DataRequired("请填写用户名"), Length(max=64)])
    display_name = StringField("姓名", validators=[DataRequired("请填写姓名"),
                                                 Length(max=64, message="姓名不能超过 64 个字")])
    phone = StringField("手机号", validators=[Length(max=20)])
    organization = SelectField("所属组织", coerce=int, validate_choice=False)
    role = SelectField("角色", validate_choice=False)


class UserImportForm(FlaskForm):
    file = FileField("Excel 文件（.xlsx）")
