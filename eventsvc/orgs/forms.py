"""Login and account forms."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码")])
    remember = BooleanField("在此设备上保持登录")


class PasswordForm(FlaskForm):
    old_password = PasswordField("原密码", validators=[DataRequired("请输入原密码")])
    new_password = PasswordField(
        "新密码", validators=[DataRequired("请输入新密码"), Length(min=8, message="新密码至少 8 位")]
    )
    confirm_password = PasswordField(
        "确认新密码", validators=[DataRequired("请再次输入新密码"), EqualTo("new_password", "两次输入的新密码不一致")]
    )
