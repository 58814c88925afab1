"""`/admin/organizations`: the unit tree, create/edit/move/deactivate, sheet import and export (administrators only)."""
from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from eventsvc.core.exceptions import OperationError
from eventsvc.core.permissions import ADMIN, roles_required
from eventsvc.core.scope import get_in_scope_or_404
from eventsvc.extensions import db
from eventsvc.imports.org_sheet import ORG_SHEET, build_org_sheet
from eventsvc.orgs.admin.sheets import XLSX, confirm_sheet, form_error, preview_page
from eventsvc.orgs.admin.units_forms import ConfirmForm, MoveForm, UnitForm, kind_value, split_kind
from eventsvc.orgs.admin.units_queries import parent_choices, unit_tree, units_in_scope
from eventsvc.orgs.models import Organization, User
from eventsvc.orgs.operations import units as ops
from eventsvc.orgs.queries import scope_root

bp = Blueprint("admin_units", __name__, url_prefix="/admin/organizations")


def _user() -> User:
    user: User = current_user
    return user


def _load(org_id: int) -> Organization:
    """The unit if the administrator reaches it; 404 otherwise (out-of-scope units look missing)."""
    user = _user()
    return get_in_scope_or_404(Organization, org_id, user, visible=user.reaches)


@bp.get("")
@roles_required(ADMIN)
def list_units() -> str:
    """The tree of units in scope, collapsible and searchable, with counts."""
    query = request.args.get("q", "")[:100]
    roots = unit_tree(_user(), query)
    total = sum(len(root.walk()) for root in roots)
    return render_template("admin/units.html", roots=roots, q=query, total=total)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(ADMIN)
def new_unit() -> Any:
    """Add a unit under a parent in scope."""
    user = _user()
    form = UnitForm()
    form.set_kind_choices()
    form.parent_id.choices = parent_choices(user)
    if request.method == "GET" and request.args.get("parent", "").isdecimal():
        form.parent_id.data = int(request.args["parent"])
    if form.validate_on_submit():
        parent = _load(form.parent_id.data)
        kind, subtype = split_kind(form.kind.data or "")
        try:
            org = ops.create_organization(
                form.name.data or "", kind, parent, by=user, short_name=form.short_name.data or "",
                subtype=subtype, contact_name=form.contact_name.data or "",
                contact_phone=form.contact_phone.data or "", sort_order=form.sort_order.data or 0)
        except OperationError as exc:
            db.session.rollback()
            form_error(form, exc)
        else:
            db.session.commit()
            flash(f"已添加“{org.name}”。", "success")
            return redirect(url_for("admin_units.list_units", _anchor=f"unit-{org.id}"))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/units_form.html", form=form, org=None), status


@bp.route("/<int:org_id>/edit", methods=["GET", "POST"])
@roles_required(ADMIN)
def edit_unit(org_id: int) -> Any:
    """Rename or edit a unit's own fields."""
    org = _load(org_id)
    form = UnitForm(obj=org) if request.method == "POST" else UnitForm(obj=org, kind=kind_value(org))
    form.set_kind_choices(org)
    del form.parent_id  # moving has its own page with a confirmation
    if form.validate_on_submit():
        kind, subtype = split_kind(form.kind.data or "")
        try:
            changes = ops.update_organization(
                org, by=_user(), name=form.name.data or "", short_name=form.short_name.data or "", kind=kind,
                subtype=subtype, contact_name=form.contact_name.data or "",
                contact_phone=form.contact_phone.data or "", sort_order=form.sort_order.data or 0)
        except OperationError as exc:
            db.session.rollback()
            form_error(form, exc)
        else:
            db.session.commit()
            flash(f"已保存“{org.name}”。" if changes else "没有修改任何内容。", "success")
            return redirect(url_for("admin_units.list_units", _anchor=f"unit-{org.id}"))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/units_form.html", form=form, org=org), status


@bp.route("/<int:org_id>/move", methods=["GET", "POST"])
@roles_required(ADMIN)
def move_unit(org_id: int) -> Any:
    """Choose a new parent, confirm on a second page, then move the unit with its subtree."""
    org = _load(org_id)
    user = _user()
    form = MoveForm()
    form.parent_id.choices = [(i, n) for i, n in parent_choices(user, moving=org) if i != org.parent_id]
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("admin/units_move.html", form=form, org=org, new_parent=None), status
    new_parent = _load(form.parent_id.data)
    if form.confirmed.data != "yes":
        form.confirmed.data = "yes"
        below = len([u for u in units_in_scope(user) if u.path.startswith(org.path)]) - 1
        return render_template("admin/units_move.html", form=form, org=org, new_parent=new_parent, below=below)
    try:
        ops.move_organization(org, new_parent, by=user)
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("admin_units.move_unit", org_id=org.id))
    db.session.commit()
    flash(f"已将“{org.name}”移到“{new_parent.name}”之下。", "success")
    return redirect(url_for("admin_units.list_units", _anchor=f"unit-{org.id}"))


@bp.route("/<int:org_id>/deactivate", methods=["GET", "POST"])
@roles_required(ADMIN)
def deactivate_unit(org_id: int) -> Any:
    """Confirm (GET), then deactivate (POST): the unit stays for history but leaves the pickers."""
    org = _load(org_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            ops.deactivate_organization(org, by=_user())
        except OperationError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("admin/units_deactivate.html", form=form, org=org,
                                   open_events=ops.open_events_count(org)), 409
        db.session.commit()
        flash(f"已停用“{org.name}”。", "success")
        return redirect(url_for("admin_units.list_units", _anchor=f"unit-{org.id}"))
    return render_template("admin/units_deactivate.html", form=form, org=org, open_events=ops.open_events_count(org))


@bp.post("/<int:org_id>/reactivate")
@roles_required(ADMIN)
def reactivate_unit(org_id: int) -> Response:
    """Show a deactivated unit in the pickers again."""
    org = _load(org_id)
    if not ConfirmForm().validate_on_submit():
        flash("页面已过期，请重试。", "error")
    else:
        try:
            ops.reactivate_organization(org, by=_user())
            db.session.commit()
            flash(f"已重新启用“{org.name}”。", "success")
        except OperationError as exc:
            db.session.rollback()
            flash(exc.message, "error")
    return redirect(url_for("admin_units.list_units", _anchor=f"unit-{org.id}"))


def _import_target() -> Organization:
    """The top unit an administrator's sheet goes below: the root for district staff, else their own unit."""
    return scope_root(_user())


@bp.route("/import", methods=["GET", "POST"])
@roles_required(ADMIN)
def import_units() -> Any:
    """Upload form (GET) or stored preview of an uploaded organization sheet (POST); nothing else is written."""
    return preview_page(ORG_SHEET, _import_target(), "admin/units_import.html", by=_user())


@bp.post("/import/confirm")
@roles_required(ADMIN)
def confirm_units_import() -> Response:
    """Create every new unit of the preview in one transaction, or none when any row has an error."""
    done = confirm_sheet(ORG_SHEET, _import_target(), by=_user(), again=url_for("admin_units.import_units"),
                           what="organizations", failed="导入失败，没有写入任何组织，请稍后重试。")
    if isinstance(done, Response):
        return done
    skipped = f"，跳过 {done.skipped} 行已存在或重复的组织。" if done.skipped else "。"
    flash(f"已导入 {done.added} 个组织{skipped}", "success")
    return redirect(url_for("admin_units.list_units"))


@bp.get("/template.xlsx")
@roles_required(ADMIN)
def units_template() -> Response:
    """The empty organization sheet with its instructions."""
    return _xlsx(build_org_sheet([]), "组织导入模板.xlsx")


@bp.get("/export.xlsx")
@roles_required(ADMIN)
def export_units() -> Response:
    """The active units in scope in the import format (re-importable as it is)."""
    units = units_in_scope(_user(), active_only=True)
    data = build_org_sheet(units)
    ops.record_units_export(len(units), by=_user())  # the sheet carries contacts' full phone numbers
    db.session.commit()
    return _xlsx(data, "组织架构.xlsx")


def _xlsx(data: bytes, filename: str) -> Response:
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=filename)
