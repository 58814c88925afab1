"""Reads about participants, registrations and check-ins (scanner, registration list, big screen)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from eventsvc.checkin.counters import SHOWN_FIGURES
from eventsvc.checkin.models import (
    CANCELLED,
    CHECKIN_PENDING,
    REGISTERED,
    WAITLISTED,
    CheckIn,
    Participant,
    Registration,
)
from eventsvc.core import driver_sql
from eventsvc.core.phones import InvalidPhone, mask_phone, normalize_phone
from eventsvc.core.timeutil import fmt_local
from eventsvc.db import attach_as_loaded, loaded
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization, User

CHECKED_IN = "checked_in"
STATUS_FILTERS = {REGISTERED: "已报名", WAITLISTED: "候补中", CANCELLED: "已取消", CHECKED_IN: "已签到"}


def counted_check_in() -> ColumnElement[bool]:
    """The condition every count of check-ins uses: pending (待核实) and voided (作废) ones are stored, not counted."""
    return and_(CheckIn.status != CHECKIN_PENDING, CheckIn.voided_at.is_(None))


def counted_by_event(event_ids: list[int]) -> dict[int, int]:
    """Return the counted check-ins (人次) of each event, for pages listing a few events' live counts."""
    if not event_ids:
        return {}
    rows = db.session.execute(
        select(CheckIn.event_id, func.count(CheckIn.id))
        .where(CheckIn.event_id.in_(event_ids), counted_check_in()).group_by(CheckIn.event_id))
    return {event_id: int(n) for event_id, n in rows}


def pending_check_ins(event: Event) -> list[CheckIn]:
    """Return the event's pending check-ins, oldest first (the organizer's review list)."""
    return list(db.session.scalars(
        select(CheckIn).where(CheckIn.event_id == event.id, CheckIn.status == CHECKIN_PENDING)
        .order_by(CheckIn.checked_in_at, CheckIn.id)
    ))


# One statement through the driver (core.driver_sql): the maintained counts, registrations by status included
# (progress/sync.py keeps them with every registration change, so a scan never counts an event's registrations).
_STATS = f"SELECT {', '.join(SHOWN_FIGURES)} FROM event_count WHERE event_id = :event"


@dataclass(frozen=True)
class StatsKey:
    """The few columns event_stats reads of an event, kept as plain values across a commit."""

    id: int
    checkout_enabled: bool
    expected_attendance: int | None
    capacity: int | None
    registration_capacity: int | None


def stats_key(event: Event) -> StatsKey:
    """Capture what event_stats needs, so the scanner can count after its commit without reloading the event."""
    return StatsKey(event.id, event.checkout_enabled, event.expected_attendance, event.capacity,
                    event.registration_capacity)


def event_counts(event: Event | StatsKey) -> tuple[int, ...]:
    """Return the event's maintained counts (check-ins, pending, registered, waitlisted, cancelled)."""
    return tuple(driver_sql.read(db.session.connection(), _STATS, {"event": event.id}).first() or (0, 0, 0, 0, 0))


def event_stats(event: Event | StatsKey, counts: tuple[int, ...] | None = None) -> dict[str, Any]:
    """Return the live figures of an event: check-ins (人次), check-outs, registrations, goal.

    Asked after every scan and by every open big screen: the check-in figures come from the event's
    maintained counts (checkin/counters.py), not from counting its rows; check-outs are counted only
    at events that take them. `counts`: event_counts, when the caller read them already.
    """
    row = counts if counts is not None else event_counts(event)
    checked_in, pending = row[0], row[1]
    by_status = {REGISTERED: row[2], WAITLISTED: row[3], CANCELLED: row[4]}
    checked_out = db.session.scalar(
        select(func.count(CheckIn.checked_out_at)).where(CheckIn.event_id == event.id, counted_check_in())
    ) if event.checkout_enabled else 0
    goal = event.expected_attendance or event.capacity or event.registration_capacity
    goal_label = "预计" if event.expected_attendance else ("容量" if goal else "")
    return {
        "checked_in": checked_in or 0,
        "checked_out": checked_out or 0,
        "pending": pending or 0,
        "present": (checked_in or 0) - (checked_out or 0),
        "registered": by_status.get(REGISTERED, 0),
        "waitlisted": by_status.get(WAITLISTED, 0),
        "cancelled": by_status.get(CANCELLED, 0),
        "registration_capacity": event.registration_capacity,
        "goal": goal,
        "goal_label": goal_label,
        "percent": round(100.0 * (checked_in or 0) / goal, 1) if goal else None,
    }


def registrations_stmt(event: Event, status: str = "", q: str = "") -> Select[Any]:
    """Select an event's registrations in sign-up order, optionally by status and by name or last 4 digits."""
    stmt = (
        select(Registration)
        .where(Registration.event_id == event.id)
        .order_by(Registration.created_at, Registration.id)
    )
    q = (q or "").replace(" ", "")[:40]
    if q.isdigit():
        stmt = stmt.join(Registration.participant).where(Participant.phone.endswith(q[-4:], autoescape=True))
    elif q:
        # The name as given when registering, or the participant's when none was kept.
        stmt = stmt.join(Registration.participant).where(or_(
            Registration.name_given.contains(q, autoescape=True),
            (Registration.name_given == "") & Participant.name.contains(q, autoescape=True)))
    checked = (
        select(CheckIn.id)
        .where(CheckIn.event_id == Registration.event_id, CheckIn.participant_id == Registration.participant_id,
               CheckIn.voided_at.is_(None))
        .exists()
    )
    if status == CHECKED_IN:
        stmt = stmt.where(checked)
    elif status in (REGISTERED, WAITLISTED, CANCELLED):
        stmt = stmt.where(Registration.status == status)
    return stmt


def check_ins_by_participant(event: Event, participant_ids: list[int]) -> dict[int, CheckIn]:
    """Return the event's check-ins of these people, keyed by participant id."""
    if not participant_ids:
        return {}
    rows = db.session.scalars(
        select(CheckIn).where(CheckIn.event_id == event.id, CheckIn.participant_id.in_(participant_ids),
                              CheckIn.voided_at.is_(None))  # a voided check-in is not "came"
    )
    return {c.participant_id: c for c in rows}


def waitlist_position(reg: Registration) -> int | None:
    """Return the 1-based place of a waitlisted registration in its event's queue."""
    if reg.status != WAITLISTED:
        return None
    ahead = db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == reg.event_id,
            Registration.status == WAITLISTED,
            or_(Registration.created_at < reg.created_at,
                (Registration.created_at == reg.created_at) & (Registration.id < reg.id)),
        )
    ) or 0
    return ahead + 1


def editable_participants(user: User) -> ColumnElement[bool]:
    """SQL twin of checkin.operations.may_edit_participant: people whose stored details `user` may see."""
    if user.is_district:
        return true()
    return Participant.first_organization_id.in_(
        select(Organization.id).where(Organization.path.startswith(user.scope_path, autoescape=True)))


def check_in_matches(q: str, viewer: User) -> ColumnElement[bool]:
    """Match a check-in by a name/workplace search on what the viewer is shown (issue 8 §1).

    That is the name as given at the event (the stored one only where none was given, as shown_name does);
    the stored name and workplace match too for people the viewer may edit, never for others.
    """
    def stored() -> ColumnElement[bool]:
        return or_(Participant.name.contains(q, autoescape=True), Participant.workplace.contains(q, autoescape=True))
    return or_(
        CheckIn.name_given.contains(q, autoescape=True),
        (CheckIn.name_given != "") & CheckIn.workplace_given.contains(q, autoescape=True),
        (CheckIn.name_given == "") & stored(),
        editable_participants(viewer) & stored(),
    )


def search_people(event: Event, query: str, limit: int = 20, *,
                  may_see_stored: Callable[[Participant], bool] | None = None) -> list[dict[str, Any]]:
    """Find people this event knows (registered or checked in) by phone's last 4 digits or name.

    A participant is shared district-wide: only viewers `may_see_stored` allows (those who may edit the
    person, see may_edit_participant) get the stored name and workplace; everyone else gets what was
    given at this event (check-in, else registration), and a name search matches only that (issue 8 §1).
    """
    q = (query or "").strip()
    if not q:
        return []
    known = select(Registration.participant_id).where(Registration.event_id == event.id).union(
        select(CheckIn.participant_id).where(CheckIn.event_id == event.id)
    )
    stmt = select(Participant).where(Participant.id.in_(known))
    by_name = not q.isdigit()
    if q.isdigit() and len(q) == 11:
        stmt = stmt.where(Participant.phone == q)
    elif q.isdigit():
        stmt = stmt.where(Participant.phone.endswith(q[-4:], autoescape=True))
    else:
        stmt = stmt.where(or_(
            Participant.name.contains(q, autoescape=True),
            Participant.id.in_(select(CheckIn.participant_id).where(
                CheckIn.event_id == event.id, CheckIn.name_given.contains(q, autoescape=True))),
            Participant.id.in_(select(Registration.participant_id).where(
                Registration.event_id == event.id, Registration.name_given.contains(q, autoescape=True))),
        ))
    people = list(db.session.scalars(stmt.order_by(Participant.name, Participant.id).limit(limit)))
    if not people:
        return []
    ids = [p.id for p in people]
    regs = {r.participant_id: r for r in db.session.scalars(
        select(Registration).where(Registration.event_id == event.id, Registration.participant_id.in_(ids)))}
    checks = {c.participant_id: c for c in db.session.scalars(
        select(CheckIn).where(CheckIn.event_id == event.id, CheckIn.participant_id.in_(ids)))}
    rows = []
    for p in people:
        reg, chk = regs.get(p.id), checks.get(p.id)
        here = chk or reg  # what was given at this event
        if here is None or (may_see_stored is not None and may_see_stored(p)):
            name, workplace = p.name, p.workplace
        else:
            name, workplace = here.shown_name, here.shown_workplace
        if by_name and q not in name:
            continue  # matched a stored name the viewer may not see
        rows.append({
            "participant_id": p.id,
            "name": name,
            "phone": mask_phone(p.phone),
            "workplace": workplace,
            "registration": reg.status_label if reg else "未报名",
            "registration_status": reg.status if reg else None,
            "check_in_id": chk.id if chk else None,
            "checked_in_at": fmt_local(chk.checked_in_at, "%m月%d日 %H:%M") if chk else None,
            "checked_out_at": fmt_local(chk.checked_out_at, "%m月%d日 %H:%M") if chk and chk.checked_out_at else None,
        })
    return rows


def active_registration(event: Event, participant: Participant) -> Registration | None:
    """Return the person's seat-holding registration at the event, if any."""
    return db.session.scalar(
        select(Registration).where(
            Registration.event_id == event.id,
            Registration.participant_id == participant.id,
            Registration.status == REGISTERED,
        )
    )


def registration_by_token(token: str | None) -> Registration | None:
    """Find a registration by its ticket token (what the e-ticket QR carries)."""
    if not token or len(token) > 40:
        return None
    return db.session.scalar(select(Registration).where(Registration.token == token))


_TICKET_COLUMNS = (
    "r.id, r.event_id, r.participant_id, r.status, r.name_given, r.workplace_given,"
    " p.phone, p.name, p.workplace, p.group_label, p.first_organization_id, c.id"
)
# A staff scan's one read: whether its scan id is known, and its ticket with its holder and their check-in here
# (NULLs: no such ticket).
_SCAN_TICKET = (
    f"SELECT {_TICKET_COLUMNS}, (SELECT id FROM scan_record WHERE client_scan_id = :client_scan_id) FROM (SELECT 1) k"
    " LEFT JOIN (registration r JOIN participant p ON p.id = r.participant_id) ON r.token = :token"
    " LEFT JOIN check_in c ON c.event_id = :event AND c.participant_id = r.participant_id"
)


def scan_ticket_at_event(client_scan_id: str, token: str | None,
                         event: Event) -> tuple[int | None, Registration | None, int | None]:
    """For a staff scan at `event`, in one driver read instead of ORM queries: the id of the scan_record stored
    for `client_scan_id` (None: a new scan), the registration of ticket `token` with its participant, and the id
    of the holder's check-in at `event` (None: not checked in). Outside a transaction when none is open
    (driver_sql.read), as it only reads.

    Only the columns a scan uses are set (registration: ids, token, status, details as given; participant:
    what person_at_event sets); anything else loads if touched. Objects already in the session are used as
    they are, as an ORM query would.
    """
    usable = token if token and len(token) <= 40 else None
    row = driver_sql.read(_flushed_connection(), _SCAN_TICKET,
                          {"client_scan_id": client_scan_id, "event": event.id, "token": usable}).one()
    return (row[12], *_ticket_from_row(usable, row if row[0] is not None else None))


def _flushed_connection() -> Any:
    session = db.session()
    if session.autoflush:
        session.flush()  # what the ORM query would have done first (driver SQL does not autoflush)
    return session.connection()


def _ticket_from_row(token: str | None, row: Any) -> tuple[Registration | None, int | None]:
    if row is None or token is None:
        return None, None
    session = db.session()
    reg = session.identity_map.get(identity_key(Registration, row[0]))
    if reg is None:
        participant = loaded(session, Participant, row[2], lambda: Participant(
            id=row[2], phone=row[6], name=row[7], workplace=row[8], group=row[9], first_organization_id=row[10]))
        reg = Registration(id=row[0], event_id=row[1], participant_id=row[2], token=token, status=row[3],
                           name_given=row[4], workplace_given=row[5])
        attach_as_loaded(session, reg)
        set_committed_value(reg, "participant", participant)  # known here: nothing loads it again
    return reg, row[11]


def registered_count(event: Event) -> int:
    """Return how many seats are taken (status registered)."""
    return db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == event.id, Registration.status == REGISTERED
        )
    ) or 0


def registration_window(event: Event) -> tuple[datetime | None, datetime]:
    """Return when workers may register (UTC); by default until the event starts."""
    return event.registration_opens_at, event.registration_closes_at or event.starts_at


def find_participant(phone: str) -> Participant | None:
    """Look a participant up by a (possibly unnormalized) phone number."""
    try:
        phone = normalize_phone(phone)
    except InvalidPhone:
        return None
    return db.session.scalar(select(Participant).where(Participant.phone == phone))


def existing_check_in(event: Event, participant: Participant) -> CheckIn | None:
    """Return the person's check-in at the event, if any."""
    return db.session.scalar(
        select(CheckIn).where(CheckIn.event_id == event.id, CheckIn.participant_id == participant.id)
    )
