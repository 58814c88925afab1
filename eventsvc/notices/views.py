"""Notice pages: what an event's workers were sent (staff), and the public stop-reminders page."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy import func, select

from eventsvc.audit.operations import WorkerActor
from eventsvc.core.pagination import page_args
from eventsvc.core.permissions import staff_required
from eventsvc.core.phones import mask_phone
from eventsvc.core.scope import get_in_scope_or_404
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.notices.links import notice_id_from
from eventsvc.notices.models import STATE_LABELS, Notice
from eventsvc.notices.operations import opted_out, stop_reminders

bp = Blueprint("notices", __name__)


@bp.route("/events/<int:event_id>/notices")
@staff_required
def event_notices(event_id: int) -> str:
    """List what was sent to whom for one event (phones masked), failures first when filtered."""
    event = get_in_scope_or_404(Event, event_id, current_user._get_current_object())
    state = request.args.get("state", "")
    if state not in STATE_LABELS:
        state = ""
    stmt = select(Notice).where(Notice.event_id == event.id)
    if state:
        stmt = stmt.where(Notice.state == state)
    page, per_page = page_args()
    pagination = db.paginate(stmt.order_by(Notice.id.desc()), page=page, per_page=per_page, error_out=False)
    counts: dict[str, int] = dict(db.session.execute(
        select(Notice.state, func.count(Notice.id)).where(Notice.event_id == event.id).group_by(Notice.state)
    ).all())
    return render_template("notices/event_notices.html", event=event, pagination=pagination, state=state,
                           states=STATE_LABELS, counts=counts)


def _notice_or_404(token: str) -> Notice:
    notice_id = notice_id_from(token)
    notice = db.session.get(Notice, notice_id) if notice_id is not None else None
    if notice is None:
        abort(404)
    return notice


@bp.route("/n/stop/<token>", methods=["GET", "POST"], endpoint="stop_reminders")
def stop_reminders_page(token: str) -> Any:
    """Let a worker stop reminders from the link in a message: GET asks (link previews must not unsubscribe)."""
    notice = _notice_or_404(token)
    # A masked phone (the person's data was erased or aged out) gets no more messages: nothing to stop.
    done = "*" in notice.phone or opted_out(notice.phone)
    if request.method == "POST" and not done:
        stop_reminders(notice.phone, via="link", by=WorkerActor())
        db.session.commit()
        done = True
    return render_template("notices/stop.html", event=notice.event, masked=mask_phone(notice.phone), done=done,
                           token=token)

