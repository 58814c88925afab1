"""The organizer's decision on check-ins held as 待核实 (listed on the staff event page)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from eventsvc.checkin.models import CheckIn
from eventsvc.checkin.operations import confirm_check_in, reject_check_in
from eventsvc.core.exceptions import OperationError
from eventsvc.core.permissions import MANAGE_ROLES, roles_required
from eventsvc.core.scope import get_in_scope_or_404
from eventsvc.extensions import db
from eventsvc.orgs.models import User

bp = Blueprint("checkin_review", __name__)


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _check_in(check_in_id: int) -> CheckIn:
    return get_in_scope_or_404(CheckIn, check_in_id, _user(), visible=lambda c: _user().reaches(c.event.organization))


def _back(record_event_id: int) -> Response:
    return redirect(url_for("checkin_staff.event_page", event_id=record_event_id) + "#pending", code=303)


@bp.route("/check-ins/<int:check_in_id>/confirm", methods=["POST"], endpoint="confirm_pending")
@roles_required(*MANAGE_ROLES)
def confirm_pending(check_in_id: int) -> Response:
    """Count a pending check-in."""
    record = _check_in(check_in_id)
    event_id = record.event_id
    try:
        confirm_check_in(record, by=_user())
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(f"已确认 {record.shown_name} 的签到，计入人次。", "success")
    return _back(event_id)


@bp.route("/check-ins/<int:check_in_id>/reject", methods=["POST"], endpoint="reject_pending")
@roles_required(*MANAGE_ROLES)
def reject_pending(check_in_id: int) -> Response:
    """Delete a pending check-in the organizer does not believe (an audit entry keeps it)."""
    record = _check_in(check_in_id)
    event_id, name = record.event_id, record.shown_name
    try:
        reject_check_in(record, by=_user(), reason=request.form.get("reason", ""))
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(f"已驳回 {name} 的待核实签到。", "success")
    return _back(event_id)
