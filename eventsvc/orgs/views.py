"""Login, logout and the user's own account."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from eventsvc.core.exceptions import OperationError
from eventsvc.extensions import db
from eventsvc.orgs.forms import LoginForm, PasswordForm
from eventsvc.orgs.models import User
from eventsvc.orgs.operations import change_password, record_login

bp = Blueprint("orgs", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only follow redirects within this site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Show the login form and log staff in."""
    if current_user.is_authenticated:
        return redirect(url_for("progress.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data.strip()))
        if user is None or not user.check_password(form.password.data):
            form.password.errors.append("用户名或密码不正确")
        elif not user.is_active:
            form.username.errors.append("该账号已停用，请联系管理员")
        else:
            login_user(user, remember=form.remember.data)
            record_login(user, by=user)
            db.session.commit()
            flash(f"欢迎，{user.name}", "success")
            return redirect(_safe_next(request.args.get("next")) or url_for("progress.dashboard"))
    return render_template("orgs/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> ResponseReturnValue:
    """Log out (POST, so a link on another site cannot do it)."""
    logout_user()
    flash("已退出登录。", "info")
    return redirect(url_for("orgs.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def edit_password() -> ResponseReturnValue:
    """Let a user change their own password."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, form.old_password.data, form.new_password.data, by=current_user)
        except OperationError as exc:
            getattr(form, exc.field or "old_password").errors.append(exc.message)
        else:
            db.session.commit()
            flash("密码已修改。", "success")
            return redirect(url_for("progress.dashboard"))
    return render_template("orgs/password.html", form=form)
