"""`/admin/users`: accounts in the administrator's subtree: list, create, edit, (de)activate, reset, import.

Temporary passwords (new accounts, resets, imports) are shown once in the answer to the POST that made them
and never stored in plain; those pages are sent with `Cache-Control: no-store`.
"""
from __future__ import annotations

import base64
from typing import Any

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from eventsvc.core.exceptions import OperationError
from eventsvc.core.pagination import page_args
from eventsvc.core.passwords import generate_temporary_password
from eventsvc.core.permissions import ADMIN, ALL_ROLES, ROLE_LABELS, roles_required
from eventsvc.core.scope import get_in_scope_or_404
from eventsvc.extensions import db
from eventsvc.imports.user_sheet import UserImport, build_password_sheet, build_user_template
from eventsvc.orgs.admin.sheets import XLSX, confirm_sheet, form_error, preview_page
from eventsvc.orgs.admin.users_queries import filter_users, users_in_scope
from eventsvc.orgs.forms import UserForm
from eventsvc.orgs.models import Organization, User
from eventsvc.orgs.operations import accounts as ops
from eventsvc.orgs.queries import org_choices, scope_root

bp = Blueprint("admin_users", __name__, url_prefix="/admin/users")


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _load(user_id: int) -> User:
    """The account if its unit is in the administrator's scope; 404 otherwise."""
    return get_in_scope_or_404(User, user_id, _user())


def _org(org_id: int | None) -> Organization:
    return get_in_scope_or_404(Organization, org_id or 0, _user(), visible=_user().reaches)


def _no_store(body: str, status: int = 200) -> Response:
    """A page holding a password: never cached by the browser or a proxy."""
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _fill_choices(form: UserForm) -> None:
    # Every role is listed; the operation says why a role cannot be given to that unit (beside the field).
    form.organization.choices = org_choices(_user())
    form.role.choices = [(r, ROLE_LABELS[r]) for r in ALL_ROLES]


@bp.get("")
@roles_required(ADMIN)
def list_users() -> str:
    """Accounts in scope: search by username, 姓名 or the phone's last 4 digits; filter by unit, role, state."""
    args = request.args
    unit_id = args.get("unit", "")
    unit = _org(int(unit_id)) if unit_id.isdecimal() and len(unit_id) < 12 else None
    role = args.get("role", "") if args.get("role", "") in ALL_ROLES else ""
    stmt = filter_users(users_in_scope(_user()), q=args.get("q", "")[:64], unit=unit, role=role,
                        active=args.get("active", ""))
    page, per_page = page_args()
    pagination = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    return render_template("admin/users.html", pagination=pagination, units=org_choices(_user()),
                           roles=ROLE_LABELS, q=args.get("q", "")[:64], unit=unit, role=role,
                           active=args.get("active", ""), can_manage=lambda u: ops.can_manage_account(_user(), u))


@bp.route("/new", methods=["GET", "POST"])
@roles_required(ADMIN)
def new_user() -> Any:
    """Create an account with a temporary password, shown once."""
    form = UserForm()
    org = _org(form.organization.data) if form.organization.data else None
    _fill_choices(form)
    if form.validate_on_submit() and org is not None:
        password = generate_temporary_password()
        try:
            user = ops.create_user(form.username.data or "", password, form.role.data or "", org, by=_user(),
                                   display_name=form.display_name.data or "", phone=form.phone.data or "",
                                   must_change_password=True)
        except OperationError as exc:
            db.session.rollback()
            form_error(form, exc)
        else:
            db.session.commit()
            return _no_store(render_template("admin/users_password.html", user=user, password=password,
                                             created=True))
    return render_template("admin/users_form.html", form=form, user=None), 400 if form.errors else 200


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@roles_required(ADMIN)
def edit_user(user_id: int) -> Any:
    """Change an account's 姓名, phone, unit or role."""
    user = _load(user_id)
    if not ops.can_manage_account(_user(), user):
        flash("您无权修改该账号（管理员账号由上级组织的管理员管理）。", "error")
        return redirect(url_for("admin_users.list_users"))
    form = UserForm(obj=user if request.method == "GET" else None)
    if request.method == "GET":
        form.organization.data = user.organization_id
    form.username.data = user.username  # fixed once created: audit entries and logins refer to it
    org = _org(form.organization.data) if form.organization.data else None
    _fill_choices(form)
    if form.validate_on_submit() and org is not None:
        try:
            ops.update_user(user, by=_user(), display_name=form.display_name.data or "", phone=form.phone.data or "",
                            role=form.role.data or "", organization=org)
        except OperationError as exc:
            db.session.rollback()
            form_error(form, exc)
        else:
            db.session.commit()
            flash(f"已保存账号 {user.username}。", "success")
            return redirect(url_for("admin_users.list_users"))
    return render_template("admin/users_form.html", form=form, user=user), 400 if form.errors else 200


def _state_change(user_id: int, change: Any, done: str) -> Response:
    user = _load(user_id)
    try:
        change(user, by=_user())
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(done.format(user.username), "success")
    return redirect(request.referrer if (request.referrer or "").startswith(request.host_url)
                    else url_for("admin_users.list_users"))


@bp.post("/<int:user_id>/deactivate")
@roles_required(ADMIN)
def deactivate_user(user_id: int) -> Response:
    """Stop an account and end its open sessions."""
    return _state_change(user_id, ops.deactivate_user, "已停用账号 {}，其登录已失效。")


@bp.post("/<int:user_id>/reactivate")
@roles_required(ADMIN)
def reactivate_user(user_id: int) -> Response:
    """Let a stopped account log in again."""
    return _state_change(user_id, ops.reactivate_user, "已重新启用账号 {}。")


@bp.post("/<int:user_id>/reset-password")
@roles_required(ADMIN)
def reset_password(user_id: int) -> Any:
    """Give the account a temporary password, shown once; it must be changed at the next login."""
    user = _load(user_id)
    try:
        password = ops.reset_password(user, by=_user())
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("admin_users.list_users"))
    db.session.commit()
    return _no_store(render_template("admin/users_password.html", user=user, password=password, created=False))


@bp.route("/import", methods=["GET", "POST"])
@roles_required(ADMIN)
def import_users() -> Any:
    """Upload form (GET) or stored preview of an account sheet (POST); no account is created yet."""
    return preview_page(UserImport(), scope_root(_user()), "admin/users_import.html", by=_user())


@bp.post("/import/confirm")
@roles_required(ADMIN)
def confirm_users_import() -> Any:
    """Create the preview's new accounts in one transaction; show their temporary passwords once (xlsx too)."""
    kind = UserImport()  # one per request: it collects the passwords it generated
    done = confirm_sheet(kind, scope_root(_user()), by=_user(), again=url_for("admin_users.import_users"),
                           what="accounts", failed="导入失败，没有写入任何账号，请稍后重试。")
    if isinstance(done, Response):
        return done
    # The sheet travels inside this page (a data: link), so the passwords are never kept on the server.
    sheet = base64.b64encode(build_password_sheet(kind.issued)).decode() if kind.issued else ""
    return _no_store(render_template("admin/users_import_done.html", issued=kind.issued, done=done, sheet=sheet,
                                     xlsx_type=XLSX))


@bp.get("/template.xlsx")
@roles_required(ADMIN)
def users_template() -> Response:
    """The empty account sheet with its instructions."""
    response = make_response(build_user_template())
    response.headers["Content-Type"] = XLSX
    response.headers["Content-Disposition"] = "attachment; filename*=UTF-8''%E8%B4%A6%E5%8F%B7%E5%AF%BC%E5%85%A5.xlsx"
    return response
