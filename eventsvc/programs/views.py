"""Program pages that change programs: create/edit with targets, delete (list and drill-down are in progress/)."""
from __future__ import annotations

from functools import partial
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from eventsvc.core.exceptions import OperationError
from eventsvc.core.permissions import MANAGE_ROLES, manages_program, require, roles_required
from eventsvc.core.scope import get_in_scope_or_404
from eventsvc.core.timeutil import local_year
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization, User
from eventsvc.orgs.queries import org_choices
from eventsvc.programs.forms import (
    LEVELS,
    METRIC_CHOICES,
    SOURCE_CHOICES,
    ProgramForm,
    TargetRow,
    orgs_by_id,
    rows_for,
    rows_from_form,
    specs_from_rows,
)
from eventsvc.programs.models import Program
from eventsvc.programs.operations import create_program as op_create_program
from eventsvc.programs.operations import delete_program as op_delete_program
from eventsvc.programs.operations import set_targets, update_program
from eventsvc.programs.queries import can_see_program
from eventsvc.programs.queries import event_count as count_events

bp = Blueprint("programs", __name__)


def _user() -> User:
    user: User = current_user._get_current_object()
    return user


def _managed_program(program_id: int) -> Program:
    """Load a program the current manager may change: 404 when invisible, 403 when only visible."""
    user = _user()
    program = get_in_scope_or_404(Program, program_id, user, visible=partial(can_see_program, user))
    require(manages_program(user, program), 403)  # district departments read all, change only their own
    return program


def _apply_error(form: ProgramForm, exc: OperationError, general: list[str], target_errors: list[str]) -> None:
    """Show an operation's refusal beside its field, else above the targets or the form."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None and exc.field != "targets":
        field.errors = [*field.errors, exc.message]
    elif exc.field == "targets":
        target_errors.append(exc.message)
    else:
        general.append(exc.message)


def _with_blank_row(rows: list[TargetRow]) -> list[TargetRow]:
    return rows if any(r.is_blank for r in rows) else rows + [TargetRow()]


def _allowed_share_ids(user: User) -> set[int]:
    """Return the organizations a share target may name: those in the user's scope."""
    return {i for i, _ in org_choices(user)}


def _render_form(form: ProgramForm, rows: list[TargetRow], *, program: Program | None = None,
                 general: list[str] | None = None, target_errors: list[str] | None = None,
                 status: int = 200) -> tuple[str, int]:
    return render_template(
        "programs/form.html", form=form, rows=rows, program=program, general_errors=general or [],
        target_errors=target_errors or [], share_choices=org_choices(_user()), blank_row=TargetRow(),
        metric_choices=METRIC_CHOICES, levels=LEVELS, source_choices=SOURCE_CHOICES,
    ), status


def _program_fields(form: ProgramForm) -> dict[str, Any]:
    """Return the operation keywords the program form provides (create and edit share them)."""
    return {
        "year": form.year.data,
        "name": form.name.data,
        "category": form.category.data or "",
        "description": form.description.data or "",
        "plan_item": form.plan_item.data or "",
        "starts_on": form.starts_on.data,
        "ends_on": form.ends_on.data,
        "lead_departments": orgs_by_id(form.lead_department_ids.data or []),
        "participating_orgs": orgs_by_id(form.participating_org_ids.data or []),
    }


@bp.route("/programs/new", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def create_program() -> ResponseReturnValue:
    """Create a program with its targets."""
    user = _user()
    form = ProgramForm.for_user(user)
    if request.method == "GET":
        form.year.data = local_year()
        if any(i == user.organization_id for i, _ in form.organization_id.choices or []):
            form.organization_id.data = user.organization_id
        return _render_form(form, rows_for(None))

    rows = rows_from_form(request.form)
    general: list[str] = []
    target_errors: list[str] = []
    form_ok = form.validate_on_submit()
    specs = specs_from_rows(rows, _allowed_share_ids(user))
    owner = db.session.get(Organization, form.organization_id.data) if form_ok else None
    if form_ok and owner is not None and specs is not None:
        try:
            program = op_create_program(
                by=user,
                organization=owner,
                **_program_fields(form),
                targets=specs,
            )
        except OperationError as exc:
            db.session.rollback()
            _apply_error(form, exc, general, target_errors)
        else:
            db.session.commit()
            flash(f"已创建项目“{program.name}”。", "success")
            return redirect(url_for("progress_programs.view_program", program_id=program.id))
    return _render_form(form, _with_blank_row(rows), general=general, target_errors=target_errors, status=400)


@bp.route("/programs/<int:program_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def edit_program(program_id: int) -> ResponseReturnValue:
    """Edit a program's fields and replace its targets."""
    user = _user()
    program = _managed_program(program_id)
    if request.method == "GET":
        form = ProgramForm.for_user(user, editing=True, obj=program)
        form.lead_department_ids.data = [o.id for o in program.lead_departments]
        form.participating_org_ids.data = [o.id for o in program.participating_orgs]
        return _render_form(form, rows_for(program), program=program)

    form = ProgramForm.for_user(user, editing=True)
    rows = rows_from_form(request.form)
    general: list[str] = []
    target_errors: list[str] = []
    form_ok = form.validate_on_submit()
    specs = specs_from_rows(rows, _allowed_share_ids(user))
    if form_ok and specs is not None:
        try:
            update_program(
                program,
                by=user,
                **_program_fields(form),
            )
            set_targets(program, specs, by=user)
        except OperationError as exc:
            db.session.rollback()
            _apply_error(form, exc, general, target_errors)
        else:
            db.session.commit()
            flash("项目已保存。", "success")
            return redirect(url_for("progress_programs.view_program", program_id=program.id))
    return _render_form(form, _with_blank_row(rows), program=program, general=general,
                        target_errors=target_errors, status=400)


@bp.route("/programs/<int:program_id>/delete", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def delete_program(program_id: int) -> ResponseReturnValue:
    """Ask for confirmation, then delete a program that has no events."""
    program = _managed_program(program_id)
    event_count = count_events(program)
    error = None
    status = 200
    if request.method == "POST":
        if request.form.get("confirm") != "yes":
            error, status = "请勾选“我确认删除”后再提交。", 400
        else:
            name = program.name
            try:
                op_delete_program(program, by=_user())
            except OperationError as exc:
                db.session.rollback()
                error, status = exc.message, 409
            else:
                db.session.commit()
                flash(f"已删除项目“{name}”。", "success")
                return redirect(url_for("progress_programs.list_programs", year=program.year))
    return render_template("programs/delete.html", program=program, event_count=event_count, error=error), status
