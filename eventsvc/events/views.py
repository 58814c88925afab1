"""Staff pages for events: the list, create/edit, publish and cancel.

The event's own page (with its check-ins) is `checkin_staff.event_page`: events must not import checkin.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from functools import partial
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import contains_eager

from eventsvc.core.exceptions import OperationError
from eventsvc.core.inputs import int_arg, parse_day
from eventsvc.core.pagination import page_args
from eventsvc.core.permissions import (
    MANAGE_ROLES,
    can_manage_org,
    require,
    roles_required,
    staff_required,
)
from eventsvc.core.scope import get_in_scope_or_404
from eventsvc.core.timeutil import from_local
from eventsvc.events import operations as ops
from eventsvc.events.forms import CancelForm, EventForm, event_form_data
from eventsvc.events.models import CANCELLED, DRAFT, STATUS_LABELS, Event
from eventsvc.events.queries import events_in_scope, over_capacity
from eventsvc.extensions import db
from eventsvc.orgs.models import DEPARTMENT, DISTRICT, STREET, Organization
from eventsvc.orgs.queries import managed_org_choices, org_choices
from eventsvc.programs.models import CUSTOM, Program
from eventsvc.programs.queries import (
    can_see_program,
    get_program_for,
    programs_visible_to,
    years_with_programs,
)

bp = Blueprint("events", __name__)

# OperationError.field values that have no single form field of their own.
_FIELD_ALIASES = {"organization": "organization_id", "program": "program_id"}


def _managed_event(event_id: int) -> Event:
    """Load an event the user may change: 404 out of read scope, 403 when only readable (§6)."""
    event = get_in_scope_or_404(Event, event_id, current_user)
    require(can_manage_org(current_user, event.organization), 403)
    return event


def _parse_date(raw: str | None) -> datetime | None:
    return parse_day(raw)  # bounded years: 0001-01-01 minus 8 hours would overflow


def _int_arg(name: str) -> int | None:
    return int_arg(name)  # bounded: a 10-digit id would overflow PostgreSQL's INTEGER


def _attendance_counts(event_ids: list[int]) -> dict[int, int]:
    """Return 人次 per event for one page of events in one grouped query (no per-row queries)."""
    if not event_ids:
        return {}
    # Raw SQL: events sits below checkin. Same rule as checkin.queries.counted_check_in (no 待核实, no 作废).
    stmt = text("SELECT event_id, count(*) FROM check_in WHERE event_id IN :ids AND status != 'pending'"
                " AND voided_at IS NULL GROUP BY event_id").bindparams(
        bindparam("ids", expanding=True)
    )
    return {row[0]: row[1] for row in db.session.execute(stmt, {"ids": event_ids})}


@bp.route("/events")
@staff_required
def list_events() -> ResponseReturnValue:
    """List the events in the user's scope, newest first, with filters."""
    user = current_user
    orgs = org_choices(user)
    filters: dict[str, Any] = {
        "year": _int_arg("year"), "program_id": _int_arg("program_id"), "org_id": _int_arg("org_id"),
        "status": request.args.get("status", ""), "q": request.args.get("q", "").strip()[:60],
        "date_from": request.args.get("date_from", ""), "date_to": request.args.get("date_to", ""),
    }
    stmt = events_in_scope(user).join(Event.program).options(
        contains_eager(Event.organization), contains_eager(Event.program)
    )
    if filters["year"]:
        stmt = stmt.where(Program.year == filters["year"])
    if filters["program_id"]:
        stmt = stmt.where(Event.program_id == filters["program_id"])
    if filters["org_id"] and filters["org_id"] in {oid for oid, _ in orgs}:
        org = db.session.get(Organization, filters["org_id"])
        if org is not None:  # a street includes its communities
            stmt = stmt.where(Organization.path.startswith(org.path))
    if filters["status"] in STATUS_LABELS:
        stmt = stmt.where(Event.status == filters["status"])
    if filters["q"]:
        stmt = stmt.where(Event.title.contains(filters["q"], autoescape=True))
    start_day, end_day = _parse_date(filters["date_from"]), _parse_date(filters["date_to"])
    if start_day:
        stmt = stmt.where(Event.starts_at >= from_local(start_day))
    if end_day:
        stmt = stmt.where(Event.starts_at < from_local(datetime.combine(end_day.date(), time()) + timedelta(days=1)))
    page, per_page = page_args()
    pagination = db.paginate(stmt.order_by(Event.starts_at.desc(), Event.id.desc()), page=page,
                             per_page=per_page, error_out=False)
    counts = _attendance_counts([e.id for e in pagination.items])
    programs = db.session.scalars(programs_visible_to(user, filters["year"])).all()
    return render_template(
        "events/list.html", pagination=pagination, counts=counts, filters=filters, orgs=orgs,
        programs=programs, years=years_with_programs(), statuses=STATUS_LABELS,
    )


@bp.route("/events/new")
@roles_required(*MANAGE_ROLES)
def new_event() -> ResponseReturnValue:
    """Ask which program a new event belongs to, then go to its create form."""
    program_id = _int_arg("program_id")
    if program_id is not None and get_program_for(current_user, program_id) is not None:
        return redirect(url_for("events.create_event", program_id=program_id))
    year = _int_arg("year")
    programs = db.session.scalars(programs_visible_to(current_user, year)).all()
    return render_template("events/choose_program.html", programs=programs)


def _fill_choices(form: EventForm, program: Program) -> None:
    """Limit the selects to what the user may pick (the submitted value must be one of them)."""
    programs = list(db.session.scalars(programs_visible_to(current_user)).all())
    if program not in programs:
        programs.insert(0, program)
    form.program_id.choices = [(p.id, f"{p.year} · {p.name}") for p in programs]
    form.organization_id.choices = managed_org_choices(current_user)
    # Issue 10 §4: other programs of the same year this event also counts toward; joint organizers.
    form.additional_program_ids.choices = [(p.id, p.name) for p in programs
                                           if p.year == program.year and p.id != program.id]
    form.co_organization_id.choices = [(0, "（无）")] + _co_organizer_choices()


def _co_organizer_choices() -> list[tuple[int, str]]:
    """Units that may co-organize: the user's own scope, plus the district, its departments and every street."""
    own = org_choices(current_user)
    seen = {i for i, _ in own}
    wider = db.session.scalars(select(Organization).where(
        Organization.kind.in_((DISTRICT, DEPARTMENT, STREET)), Organization.is_active.is_(True)
    ).order_by(Organization.path))
    return own + [(o.id, o.name) for o in wider if o.id not in seen]


def _additional_programs(form: EventForm) -> list[Program]:
    """Load the ticked additional programs (the checkbox choices only offer visible ones)."""
    ids = form.additional_program_ids.data or []
    return list(db.session.scalars(select(Program).where(Program.id.in_(ids)).order_by(Program.id))) if ids else []


def _custom_labels(program: Program) -> list[tuple[str, str]]:
    """Return the custom-unit targets' (label, unit) of a program, each once."""
    seen: dict[str, str] = {}
    for target in program.targets:
        if target.metric == CUSTOM and target.label not in seen:
            seen[target.label] = target.unit
    return list(seen.items())


def _show_error(form: EventForm, exc: OperationError) -> None:
    """Put an operation's message beside its field, or on top when it names none."""
    name = _FIELD_ALIASES.get(exc.field or "", exc.field or "")
    if name == "quantities":
        form.quantity_errors.append(exc.message)
        return
    field = getattr(form, name, None) if name else None
    if field is not None and isinstance(getattr(field, "errors", None), list):
        field.errors.append(exc.message)
    else:
        form.form_errors.append(exc.message)


def _render_form(form: EventForm, program: Program, event: Event | None = None,
                 affected: list[str] | None = None) -> str:
    form.add_blank_quantity_rows(_custom_labels(program))
    return render_template("events/form.html", form=form, program=program, event=event, affected=affected or [])


def _capacity_affected(event: Event, values: dict[str, Any]) -> list[str]:
    """Return who holds a seat beyond a capacity this edit lowers (nothing when no capacity goes down)."""
    lowered = [new for name in ("capacity", "registration_capacity")
               if (new := values.get(name)) and (getattr(event, name) is None or new < getattr(event, name))]
    return over_capacity(event, lowered)


@bp.route("/programs/<int:program_id>/events/new", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def create_event(program_id: int) -> ResponseReturnValue:
    """Create a draft event under a program."""
    program = get_in_scope_or_404(Program, program_id, current_user, visible=partial(can_see_program, current_user))
    initial = {"program_id": program.id, "organization_id": current_user.organization_id}
    form = EventForm(data=initial)
    _fill_choices(form, program)
    if form.validate_on_submit():
        chosen = get_program_for(current_user, form.program_id.data)
        organization = db.session.get(Organization, form.organization_id.data)
        if chosen is None or organization is None:  # the selects only offer valid ones
            abort(400)
        try:
            event = ops.create_event(chosen, organization, by=current_user, quantities=form.quantity_rows(),
                                     **form.operation_values())
            ops.set_additional_programs(event, _additional_programs(form), by=current_user)
        except OperationError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"已创建活动“{event.title}”（草稿）。确认无误后请发布，职工才能扫码签到。", "success")
            return redirect(url_for("checkin_staff.event_page", event_id=event.id))
    return _render_form(form, program)


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def edit_event(event_id: int) -> ResponseReturnValue:
    """Change an event's details and counted quantities."""
    event = _managed_event(event_id)
    if event.status == CANCELLED:
        flash("活动已取消，不能再修改。", "warning")
        return redirect(url_for("checkin_staff.event_page", event_id=event.id))
    form = EventForm(data=event_form_data(event))
    _fill_choices(form, event.program)
    # The program is fixed once the event exists (its check-ins count for that program).
    form.program_id.choices = [(event.program_id, f"{event.program.year} · {event.program.name}")]
    if form.validate_on_submit():
        affected = _capacity_affected(event, form.operation_values())
        if affected and not request.form.get("confirm_capacity"):  # ask first, naming who would be over
            return _render_form(form, event.program, event, affected=affected)
        organization = db.session.get(Organization, form.organization_id.data)
        try:
            require(organization is not None, 400)
            ops.update_event(event, by=current_user, organization=organization, **form.operation_values())
            ops.set_quantities(event, form.quantity_rows(), by=current_user)
            ops.set_additional_programs(event, _additional_programs(form), by=current_user)
        except OperationError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash("活动已保存。", "success")
            return redirect(url_for("checkin_staff.event_page", event_id=event.id))
    return _render_form(form, event.program, event)


@bp.route("/events/<int:event_id>/publish", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def publish_event(event_id: int) -> ResponseReturnValue:
    """Publish a draft so workers can check in."""
    event = _managed_event(event_id)
    try:
        ops.publish_event(event, by=current_user)
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(f"活动“{event.title}”已发布，职工现在可以扫码签到。", "success")
    return redirect(url_for("checkin_staff.event_page", event_id=event_id))


@bp.route("/events/<int:event_id>/cancel", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def cancel_event(event_id: int) -> ResponseReturnValue:
    """Confirm, then cancel an event (it stops check-in and no longer counts)."""
    event = _managed_event(event_id)
    if event.status == CANCELLED:
        flash("活动已经取消。", "info")
        return redirect(url_for("checkin_staff.event_page", event_id=event_id))
    form = CancelForm()
    if form.validate_on_submit():
        try:
            ops.cancel_event(event, by=current_user, reason=form.reason.data or "")
        except OperationError as exc:
            db.session.rollback()
            form.reason.errors.append(exc.message)
        else:
            db.session.commit()
            flash(f"活动“{event.title}”已取消。", "success")
            return redirect(url_for("checkin_staff.event_page", event_id=event_id))
    count = _attendance_counts([event.id]).get(event.id, 0)
    return render_template("events/cancel.html", event=event, form=form, count=count, is_draft=event.status == DRAFT)

