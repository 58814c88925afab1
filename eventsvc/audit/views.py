"""/admin/audit: the audit log for administrators, and each event's or program's own history.

A leaf view module: it reads events/programs for the history check and reuses the reports' file sender.

Who sees what: administrators see every entry about units in their subtree (a street administrator
sees its street and below). Any staff user who may see an event or a program may also read that
object's own history (`?object_type=event&object_id=N`): its whole history, whichever unit owned it
at the time, since the object's page already shows them its current state.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import Select, select

from eventsvc.audit.export import iter_entries, write_entries_xlsx
from eventsvc.audit.filters import AuditFilters, parse_filters
from eventsvc.audit.models import AuditEntry
from eventsvc.audit.queries import about_event, entries_in_scope, filter_entries
from eventsvc.core.pagination import page_args
from eventsvc.core.permissions import staff_required
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization, User
from eventsvc.orgs.queries import org_choices
from eventsvc.programs.queries import get_program_for
from eventsvc.reports.streaming import send_spooled

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

OBJECT_TYPE_LABELS = {"event": "活动", "program": "项目", "organization": "组织", "user": "账号",
                      "check_in": "签到", "registration": "报名"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HISTORY_TYPES = ("event", "program")  # objects whose pages link to their own history


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _history_object(user: User, f: AuditFilters) -> Any | None:
    """Return the event or program whose history is asked for, if the user may see it; 404 if not."""
    if not f.is_object_history or f.object_type not in HISTORY_TYPES:
        return None
    assert f.object_id is not None
    if f.object_type == "event":
        event = db.session.get(Event, f.object_id)
        if event is None or not user.reaches(event.organization):
            abort(404)
        return event
    program = get_program_for(user, f.object_id)
    if program is None:
        abort(404)
    return program


def _entries(user: User, f: AuditFilters) -> tuple[Select[AuditEntry], Any | None]:
    """The entries the page lists, and the object whose history it is (if any)."""
    obj = _history_object(user, f)
    if obj is not None:
        stmt = select(AuditEntry).outerjoin(Organization, AuditEntry.organization_id == Organization.id)
    elif user.is_admin:
        stmt = entries_in_scope(user)
    else:
        abort(403)
    org = None
    if f.org_id is not None:
        if f.org_id in {oid for oid, _ in org_choices(user)}:
            org = db.session.get(Organization, f.org_id)
        else:
            f.errors.append("所选单位不在您的管理范围内，已忽略")
            f.org_id = None
    if isinstance(obj, Event):
        # An event's history includes what happened to its check-ins and registrations (issue 9).
        stmt = filter_entries(about_event(stmt, obj.id), actor=f.actor, action=f.action, organization=org,
                              since=f.since, until=f.until)
        return stmt, obj
    stmt = filter_entries(stmt, actor=f.actor, action=f.action, object_type=f.object_type, object_id=f.object_id,
                          organization=org, since=f.since, until=f.until)
    return stmt, obj


@bp.route("")
@staff_required
def list_entries() -> ResponseReturnValue:
    """List audit entries with filters, newest first, a page at a time."""
    user = _user()
    f = parse_filters(request.args)
    stmt, obj = _entries(user, f)
    page, per_page = page_args()
    pagination = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    actions = db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
    return render_template(
        "audit/list.html", pagination=pagination, filters=f, history_of=obj,
        orgs=org_choices(user) if user.is_admin else [], actions=actions, type_labels=OBJECT_TYPE_LABELS,
    ), (400 if f.errors else 200)


@bp.route("/export.xlsx")
@staff_required
def export_entries() -> ResponseReturnValue:
    """Send the filtered list (every page) as an xlsx."""
    user = _user()
    f = parse_filters(request.args)
    stmt, _obj = _entries(user, f)
    if f.errors:
        abort(400, description="；".join(f.errors))
    name = f"操作日志-{datetime.now().strftime('%Y%m%d-%H%M')}.xlsx"
    return send_spooled(lambda out: write_entries_xlsx(out, iter_entries(stmt)), XLSX, name, attachment=True)
