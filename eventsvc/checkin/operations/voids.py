"""An organizer's void (作废) of a mistaken check-in: any time, with a reason, the row kept.

An undo (checkins.undo_check_in) deletes a check-in the checker just made; a void is the organizer's
later correction: the row stays with who voided it, when and why, and counted_check_in() leaves it
out of every figure. The person stays recorded at the event, so a second check-in is not created.
"""
from __future__ import annotations

from eventsvc.audit.operations import person_label
from eventsvc.audit.operations import record as audit
from eventsvc.checkin.models import CHECKIN_PENDING, CheckIn
from eventsvc.core.exceptions import OperationError
from eventsvc.core.permissions import can_manage_org
from eventsvc.core.timeutil import utcnow
from eventsvc.extensions import db
from eventsvc.orgs.models import User

MAX_REASON = 200


def void_check_in(record: CheckIn, *, by: User, reason: str) -> CheckIn:
    """Stop a check-in counting, keeping the row; only an organizer of the event's unit, reason required."""
    if not can_manage_org(by, record.event.organization):
        raise OperationError("只有活动组织者可以作废签到", code="forbidden")
    if record.voided_at is not None:
        raise OperationError("该签到已作废", code="already_voided")
    if record.status == CHECKIN_PENDING:  # not counted yet: the review list's 驳回 is the way
        raise OperationError("待核实的签到请在“待核实签到”中驳回", code="pending")
    reason = (reason or "").strip()
    if not reason:
        raise OperationError("请填写作废原因", field="reason", code="reason_required")
    if len(reason) > MAX_REASON:
        raise OperationError(f"作废原因不能超过 {MAX_REASON} 个字", field="reason", code="reason_too_long")
    record.voided_at, record.voided_by_id, record.void_reason = utcnow(), by.id, reason
    audit(by, "checkin.void", record, organization=record.event.organization,
          summary=f"作废签到：{person_label(record.participant)}（{record.method_label}），原因：{reason}",
          changes={"voided": [False, True], "reason": reason, "participant_id": record.participant_id,
                   "checked_in_at": record.checked_in_at, "status": record.status})
    db.session.flush()
    return record
