"""The dashboard (/) and the progress JSON used for live refresh (program pages: program_views)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from eventsvc.core.permissions import staff_required
from eventsvc.core.timeutil import fmt_local, utcnow
from eventsvc.orgs.models import User
from eventsvc.progress.dashboard import (
    load_program,
    local_year,
    ongoing_events,
    org_rollup,
    pick_year,
    programs_progress,
    visible_programs,
)
from eventsvc.progress.queries import TargetProgress, Totals, pending_in_scope
from eventsvc.progress.yoy import year_on_year

bp = Blueprint("progress", __name__)


def _user() -> User:
    user: User = current_user._get_current_object()
    return user


@bp.route("/")
@staff_required
def dashboard() -> ResponseReturnValue:
    """Show the year's progress: headline figures, every visible program's targets, figures by organization."""
    user = _user()
    year, years = pick_year(user, request.args.get("year"))
    programs = visible_programs(user, year)
    root, org_rows, root_total = org_rollup(user, year=year)
    # A street also sees its own share of each program (e.g. 10 of the district's 150 sessions).
    progress = programs_progress(user, programs, share_filter=lambda t: t.organization_id == root.id)
    # "Under way now" only means something on the current year's page.
    ongoing_count, ongoing = ongoing_events(user) if year == local_year() else (0, [])
    partial = request.args.get("partial") == "1"
    template = "progress/_dashboard_body.html" if partial else "progress/dashboard.html"
    return render_template(
        template, yoy=[] if partial else year_on_year(user, year),  # the chart is not part of the refresh
        year=year, years=years, programs=programs, progress=progress, root=root,
        org_rows=org_rows, root_total=root_total, ongoing_count=ongoing_count, ongoing=ongoing,
        scoped=bool(user.scope_path), is_current_year=year == local_year(), updated_at=fmt_local(utcnow(), "%H:%M:%S"),
        pending=pending_in_scope(user.scope_path),  # 待核实 check-ins, not counted above until confirmed
    )


def _target_json(p: TargetProgress) -> dict[str, Any]:
    t = p.target
    return {
        "id": t.id, "metric": t.metric, "label": t.metric_label, "unit": t.unit_label, "level": t.level,
        "organization_id": t.organization_id,
        "organization": t.organization.label if t.organization is not None else None,
        "goal": p.goal, "done": p.done, "percent": p.percent, "remaining": p.remaining, "is_met": p.is_met,
    }


def _totals_json(totals: Totals) -> dict[str, Any]:
    return {"sessions": totals.sessions, "attendances": totals.attendances, "participants": totals.participants,
            "sessions_by_level": totals.sessions_by_level, "quantities": totals.quantities}


@bp.route("/api/programs/<int:program_id>/progress")
@staff_required
def program_progress_json(program_id: int) -> ResponseReturnValue:
    """Return a program's target progress within the user's scope, for live refresh."""
    user = _user()
    program = load_program(user, program_id)
    pp = programs_progress(user, [program], share_filter=lambda t: user.reaches(t.organization))[program.id]
    return jsonify(
        ok=True,
        program={"id": program.id, "name": program.name, "year": program.year},
        scope=user.organization.label if user.scope_path else "全区",
        scoped=bool(user.scope_path),
        totals=_totals_json(pp.totals),
        targets=[_target_json(p) for p in pp.overall],
        shares=[_target_json(p) for p in pp.shares],
        updated_at=fmt_local(utcnow(), "%Y-%m-%d %H:%M:%S"),
    )
