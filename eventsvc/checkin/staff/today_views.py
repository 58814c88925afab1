"""今日活动: the door staff's start page — today's and tomorrow's events they work, with big buttons.

A checker lands here after logging in (the full dashboard is of no use at a venue door); organizers
reach it from the navigation. Each event shows its live 人次 and links to the scanner, the scanner's
walk-in form (现场登记) and the venue screen; a cancelled event is listed, marked, without buttons.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, render_template
from flask_login import current_user

from eventsvc.checkin.queries import counted_by_event
from eventsvc.core.permissions import CHECKIN_ROLES, can_check_in_at, roles_required
from eventsvc.core.timeutil import from_local, to_local, utcnow
from eventsvc.events.models import CANCELLED, PUBLISHED, Event
from eventsvc.events.queries import events_in_scope
from eventsvc.extensions import db
from eventsvc.orgs.models import User

bp = Blueprint("checkin_today", __name__)

MAX_EVENTS = 100  # two days of one unit's events; a district admin sees the first hundred


def local_day_start(now: datetime) -> datetime:
    """Return local midnight of `now`'s China-time day, as naive UTC."""
    local = to_local(now)
    assert local is not None
    return from_local(local.replace(hour=0, minute=0, second=0, microsecond=0))


def door_events(user: User, now: datetime | None = None) -> list[Event]:
    """Return the published or cancelled events of today and tomorrow (China time) the user works at."""
    start = local_day_start(now or utcnow())
    end = start + timedelta(days=2)
    stmt = (events_in_scope(user)
            .where(Event.status.in_((PUBLISHED, CANCELLED)), Event.starts_at < end, Event.ends_at >= start)
            .order_by(Event.starts_at, Event.id).limit(MAX_EVENTS))
    # Read scope is wider than write scope at district level: list only the events they may staff.
    return [e for e in db.session.scalars(stmt) if can_check_in_at(user, e.organization)]


@bp.route("/today")
@roles_required(*CHECKIN_ROLES)
def today() -> str:
    """Show today's and tomorrow's events with 扫码核销 / 现场登记 / 大屏 and the live count."""
    user: User = current_user._get_current_object()
    now = utcnow()
    events = door_events(user, now)
    tomorrow = local_day_start(now) + timedelta(days=1)
    days = [("今天", [e for e in events if e.starts_at < tomorrow]),
            ("明天", [e for e in events if e.starts_at >= tomorrow])]
    return render_template("checkin/staff_today.html", days=days,
                           counts=counted_by_event([e.id for e in events]))
