"""Login, logout and the user's own account."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from eventsvc.core.exceptions import OperationError
from eventsvc.core.permissions import CHECKER, wants_json
from eventsvc.core.ratelimits import client_ip, login_limit
from eventsvc.extensions import db
from eventsvc.orgs.forms import LoginForm, PasswordForm
from eventsvc.orgs.models import User
from eventsvc.orgs.operations.accounts import change_password, end_sessions
from eventsvc.orgs.operations.logins import authenticate
from eventsvc.orgs.sessions import end_session, has_remember_cookie, start_session

bp = Blueprint("orgs", __name__)

MUST_CHANGE = "您正在使用管理员设置的临时密码，请先修改密码。"
# What a user with a temporary password may still open: the password page, logging out, static files.
_OPEN_WHILE_TEMPORARY = {"orgs.edit_password", "orgs.logout", "static"}
# The workers' pages (self check-in, phone verification, station visits) need no account, so an account's
# password state does not concern them; skipping the check also spares those busy pages loading the user.
_WORKER_PAGES = frozenset({"checkin_public", "checkin_verify", "stations_public"})


def _safe_next(target: str | None) -> str | None:
    """Only follow redirects within this site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or "\\" in target:
        return None
    return target


@bp.before_app_request
def require_own_password() -> ResponseReturnValue | None:
    """Send a user holding a temporary password to the password page before anything else."""
    if request.blueprint in _WORKER_PAGES or request.endpoint in _OPEN_WHILE_TEMPORARY:
        return None
    if not current_user.is_authenticated:
        return None
    if not getattr(current_user, "must_change_password", False):  # other user kinds (tests' probes) have none
        return None
    if wants_json():
        return jsonify(ok=False, error=MUST_CHANGE, status=403), 403
    flash(MUST_CHANGE, "warning")
    return redirect(url_for("orgs.edit_password"))


def _landing(user: User) -> str:
    """Where a login lands: door staff (签到核销员) on 今日活动, everyone else on the dashboard."""
    return url_for("checkin_today.today") if user.role == CHECKER else url_for("progress.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@login_limit  # per IP, on top of the per-account lockout in authenticate()
def login() -> ResponseReturnValue:
    """Show the login form and log staff in (throttled per username and per client address)."""
    if current_user.is_authenticated:
        return redirect(_landing(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        result = authenticate(form.username.data, form.password.data, ip=client_ip())
        db.session.commit()  # failures are counted and audited too
        if result.user is None:
            form.password.errors.append(result.error)
            return render_template("orgs/login.html", form=form, locked=result.locked_until is not None), 200
        start_session(result.user, remember=bool(form.remember.data))
        if result.user.must_change_password:
            flash(MUST_CHANGE, "warning")
            return redirect(url_for("orgs.edit_password"))
        flash(f"欢迎，{result.user.name}", "success")
        return redirect(_safe_next(request.args.get("next")) or _landing(result.user))
    return render_template("orgs/login.html", form=form, locked=False)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> ResponseReturnValue:
    """Log out everywhere (POST, so a link on another site cannot do it): remember cookies stop working too."""
    end_sessions(current_user, by=current_user)
    db.session.commit()
    end_session()
    flash("已退出登录。", "info")
    return redirect(url_for("orgs.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def edit_password() -> ResponseReturnValue:
    """Let a user change their own password; their other sessions end, this one continues."""
    form = PasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            change_password(user, form.old_password.data, form.new_password.data, by=user)
        except OperationError as exc:
            getattr(form, exc.field or "old_password").errors.append(exc.message)
        else:
            db.session.commit()
            start_session(user, remember=has_remember_cookie())
            flash("密码已修改，其他设备上的登录已失效。", "success")
            return redirect(url_for("progress.dashboard"))
    return render_template("orgs/password.html", form=form, forced=current_user.must_change_password)
