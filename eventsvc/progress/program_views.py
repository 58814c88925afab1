"""Program pages that show progress: the list with compact bars and the drill-down page.

They live in progress/ because they read events and check-ins, which programs/ must not import.
They have their own blueprint (`progress_programs`), so no view module imports another.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from eventsvc.core.pagination import page_args
from eventsvc.core.permissions import manages_program, staff_required
from eventsvc.core.timeutil import utcnow
from eventsvc.events.models import Event, event_program
from eventsvc.events.queries import events_in_scope
from eventsvc.extensions import db
from eventsvc.orgs.models import User
from eventsvc.programs.models import CATEGORIES, Program
from eventsvc.programs.queries import programs_visible_to
from eventsvc.progress.dashboard import (
    event_phase,
    in_plan_order,
    load_program,
    org_rollup,
    pick_year,
    programs_progress,
    quantity_labels,
    with_targets,
)
from eventsvc.progress.queries import event_attendance, pending_by_program
from eventsvc.progress.rollup import in_programs
from eventsvc.progress.stations import program_station_rows

bp = Blueprint("progress_programs", __name__)


def _user() -> User:
    user: User = current_user._get_current_object()
    return user


def _of_program(program: Program) -> Any:
    """The condition that an event counts toward `program`: by the program index alone unless some events
    count toward it as an additional program (rare: then the slower OR with event_program)."""
    extra = db.session.scalar(select(event_program.c.event_id).where(event_program.c.program_id == program.id)
                              .limit(1))
    return in_programs([program.id]) if extra is not None else Event.program_id == program.id


@bp.route("/programs")
@staff_required
def list_programs() -> ResponseReturnValue:
    """List the programs the user may see, by year and category, with compact progress."""
    user = _user()
    year, years = pick_year(user, request.args.get("year"))
    category = request.args.get("category", "")
    if category not in CATEGORIES:
        category = ""
    stmt = programs_visible_to(user, year)
    if category:
        stmt = stmt.where(Program.category == category)
    page, per_page = page_args()
    pagination = db.paginate(with_targets(in_plan_order(stmt)), page=page, per_page=per_page, error_out=False)
    progress = programs_progress(user, pagination.items)
    return render_template(
        "progress/program_list.html", pagination=pagination, progress=progress, year=year, years=years,
        category=category, categories=CATEGORIES, scoped=bool(user.scope_path),
    )


@bp.route("/programs/<int:program_id>")
@staff_required
def view_program(program_id: int) -> ResponseReturnValue:
    """Show a program: targets with progress, figures by organization, and its events in scope."""
    user = _user()
    program = load_program(user, program_id)
    progress = programs_progress(user, [program], share_filter=lambda t: user.reaches(t.organization))[program.id]
    root, org_rows, org_total = org_rollup(user, program=program)
    labels = quantity_labels(program, org_rows, org_total)
    page, per_page = page_args()
    events = db.paginate(
        events_in_scope(user)
        .where(_of_program(program))
        .options(contains_eager(Event.organization), joinedload(Event.program), joinedload(Event.co_organization))
        .order_by(Event.starts_at.desc(), Event.id.desc()),
        page=page, per_page=per_page, error_out=False,
    )
    now = utcnow()
    return render_template(
        "progress/program_view.html", program=program, progress=progress, root=root, org_rows=org_rows,
        org_total=org_total, labels=labels, events=events,
        attendance=event_attendance([e.id for e in events.items]),
        phases={e.id: event_phase(e, now) for e in events.items},
        scoped=bool(user.scope_path), can_manage=manages_program(user, program),
        pending=pending_by_program([program.id], scope_path=user.scope_path).get(program.id, 0),
        stations=program_station_rows(program, user.scope_path),
    )
