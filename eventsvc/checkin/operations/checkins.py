"""State changes for participants and check-ins.

Counting depends on one rule kept here: a person checks in at most once per event. The unique
constraint on (event, participant) guarantees it; these functions answer a repeat from a read
and turn a lost race into an "already checked in" answer instead of an error.

A participant is shared district-wide: its canonical name, workplace and group change only by staff
whose scope covers the unit where the person was first recorded, or by district staff
(may_edit_participant); everyone else only fills blanks, and what they typed is kept on the check-in
(name_given, workplace_given) and shown on that event's pages instead of the stored details.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from flask import current_app
from sqlalchemy import Connection, func, select
from sqlalchemy.orm.attributes import set_committed_value

from eventsvc.audit.models import AuditEntry
from eventsvc.audit.operations import entry_params, person_label, pg_entry_after, record_now
from eventsvc.audit.operations import record as audit
from eventsvc.checkin import counters
from eventsvc.checkin.models import (
    CHECKIN_OK,
    CHECKIN_PENDING,
    IMPORT,
    MANUAL,
    METHOD_LABELS,
    SELF_SCAN,
    STAFF_SCAN,
    CheckIn,
    Participant,
    Registration,
)
from eventsvc.checkin.operations.review import Source, pending_reason
from eventsvc.checkin.queries import active_registration, existing_check_in
from eventsvc.core import driver_sql
from eventsvc.core.exceptions import OperationError
from eventsvc.core.permissions import can_check_in_at
from eventsvc.core.phones import InvalidPhone, normalize_phone
from eventsvc.core.timeutil import fmt_local, utcnow
from eventsvc.db import loaded
from eventsvc.events.models import CANCELLED, PUBLISHED, TARGET_GROUPS, Event
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization, User

METHODS = (SELF_SCAN, STAFF_SCAN, MANUAL, IMPORT)
GROUPS = tuple(TARGET_GROUPS)  # a participant's 人群类别 uses the events' target-group list


class CheckInRefused(OperationError):
    """The event does not accept this check-in now; `code` says why."""


@dataclass(frozen=True)
class NewParticipant:
    """A participant row just inserted with Core for a worker's own check-in (check_in_typed): its id and
    values (_participant_row). Its ORM object is built only when asked for (`attach`): the check-in needs the
    id alone. No check-in or registration of theirs can exist yet, so check_in looks nothing up for them."""

    id: int
    row: Mapping[str, Any]

    def attach(self) -> Participant:
        """The row as a loaded object of the session (the one already there, if it was read meanwhile)."""
        return loaded(db.session, Participant, self.id, lambda: _participant_from_row(self.id, self.row))


def _as_object(participant: Participant | NewParticipant) -> Participant:
    return participant.attach() if isinstance(participant, NewParticipant) else participant


@dataclass(frozen=True)
class NewCheckIn:
    """A check-in row check_in has just inserted with Core: its id and values, and its participant.

    Its ORM object is built only when a caller asks for it (CheckInResult.check_in): a worker's own check-in
    needs the id alone. Building and attaching these objects (and the new participant's), then expiring them
    at the commit, was ~10 % of that request's CPU (in-process, SQLite: 1.40 → 1.26 ms).
    """

    id: int
    values: Mapping[str, Any]
    participant: Participant | NewParticipant

    def attach(self) -> CheckIn:
        """The row as a loaded object of the session (the one already there, if it was read meanwhile)."""
        return loaded(db.session, CheckIn, self.id,
                      lambda: _check_in_from_values(self.id, self.values, _as_object(self.participant)))


@dataclass
class CheckInResult:
    record: CheckIn | NewCheckIn  # `check_in` gives the ORM object either way
    created: bool  # False: the person had already checked in (nothing was written)
    seq: int = 0  # the event's running number taken by a new check-in (counters.EventCount.seq)
    # The event's counters.SHOWN_FIGURES as this check-in left them, when its statement returned them.
    counts: tuple[int, ...] | None = None
    rode: bool = False  # the check-in's statement ran its Rider, which returned `rider_id` (None: nothing)
    rider_id: int | None = None

    @property
    def check_in_id(self) -> int:
        return self.record.id

    @cached_property
    def check_in(self) -> CheckIn:
        """The check-in as an ORM object (a new one's is built now, on first use)."""
        return self.record.attach() if isinstance(self.record, NewCheckIn) else self.record

    @property
    def ordinal(self) -> int:
        """Position of this check-in at its event: 您是本场第 N 位签到者."""
        if self.seq:
            return self.seq
        return db.session.scalar(
            select(func.count(CheckIn.id)).where(
                CheckIn.event_id == self.check_in.event_id, CheckIn.id <= self.check_in_id
            )
        ) or 0


_PERSON_AT_EVENT = (
    "SELECT p.id, p.name, p.workplace, p.group_label, p.first_organization_id, c.id FROM participant p"
    " LEFT JOIN check_in c ON c.participant_id = p.id AND c.event_id = :event WHERE p.phone = :phone"
)


def person_at_event(event: Event, phone: str) -> tuple[Participant | None, int | None]:
    """Return the participant with this (normalized) phone and the id of their check-in here, in one read.

    The participant comes with the columns a check-in needs (the rest load if touched). A person already
    checked in here comes back as (None, that check-in's id): a repeat, the commonest request at a venue,
    writes nothing, so it is this one read through the driver and builds no participant object.
    """
    row = driver_sql.run(db.session.connection(), _PERSON_AT_EVENT, {"event": event.id, "phone": phone}).first()
    return person_from_row(phone, row)


def person_from_row(phone: str, row: Sequence[Any] | None) -> tuple[Participant | None, int | None]:
    """Return person_at_event's answer from its columns, read by the caller (with the event's stamp)."""
    if row is None or row[0] is None:
        return None, None
    if row[5] is not None:
        return None, row[5]
    participant = loaded(db.session, Participant, row[0], lambda: Participant(
        id=row[0], phone=phone, name=row[1], workplace=row[2], group=row[3], first_organization_id=row[4]))
    return participant, row[5]


def validate_person(name: str, phone: str, workplace: str = "", group: str = "") -> dict[str, str]:
    """Return cleaned details or raise OperationError naming the field at fault."""
    name = (name or "").strip()
    if not name:
        raise OperationError("请填写姓名", field="name")
    if len(name) > 40:
        raise OperationError("姓名不能超过 40 个字", field="name")
    try:
        phone = normalize_phone(phone)
    except InvalidPhone as exc:
        raise OperationError(str(exc), field="phone") from None
    workplace = (workplace or "").strip()
    if len(workplace) > 100:
        raise OperationError("单位名称不能超过 100 个字", field="workplace")
    group = (group or "").strip()
    if group and group not in GROUPS:
        raise OperationError("请选择人群类别", field="group")
    return {"name": name, "phone": phone, "workplace": workplace, "group": group}


def may_edit_participant(user: User | None, participant: Participant) -> bool:
    """Tell whether staff may change a participant's canonical details (name, workplace, group).

    A participant is shared district-wide, so only staff whose scope covers the unit where the person
    was first recorded may change them, or district staff; people recorded before that unit was kept
    (first_organization is None) are district staff's. Workers (None) never overwrite anyone.
    """
    if user is None:
        return False
    if participant.first_organization is None:
        return user.is_district
    return user.reaches(participant.first_organization)


def upsert_participant(
    name: str, phone: str, workplace: str = "", group: str = "", *, by: User | None,
    organization: Organization | None = None,
) -> Participant:
    """Return the participant with this phone, creating it or refreshing changed details.

    `organization` is the unit recording the person now (the event's organizer); a new participant
    remembers it as where they were first recorded. An existing one's details change only when
    `may_edit_participant(by, ...)`; otherwise blanks are filled and what was typed belongs on the
    check-in or registration (name_given), never on the shared person.
    """
    details = validate_person(name, phone, workplace, group)
    participant = db.session.scalar(select(Participant).where(Participant.phone == details["phone"]))
    return record_participant(details, participant, by=by,
                              organization_id=organization.id if organization is not None else None)


def record_participant(details: Mapping[str, str], participant: Participant | None, *, by: User | None,
                       organization_id: int | None) -> Participant:
    """Insert validated `details` as a new participant, or refresh `participant` (the one with that phone).

    upsert_participant's rules, for a caller that has already read the person (person_at_event).
    """
    if participant is None:
        return _insert_participant(details, organization_id)
    # Write only what changed, so a repeat check-in stays a pure read. A worker's own form and staff
    # outside the person's first unit only fill blanks: anyone can type someone else's number.
    may_edit = may_edit_participant(by, participant)
    for key in ("name", "workplace", "group"):
        current = getattr(participant, key)
        if details[key] and current != details[key] and (may_edit or not current):
            setattr(participant, key, details[key])
    if participant.first_organization_id is None and organization_id is not None and by is not None and may_edit:
        participant.first_organization_id = organization_id
    return participant


_INSERT_PARTICIPANT = (
    "INSERT INTO participant (phone, name, workplace, group_label, first_organization_id, created_at, updated_at)"
    " VALUES (:phone, :name, :workplace, :group_label, :first_organization_id, :created_at, :updated_at)"
    " ON CONFLICT (phone) DO NOTHING RETURNING id"
)


def _participant_row(details: Mapping[str, str], organization_id: int | None) -> dict[str, Any]:
    now = utcnow()
    return {"phone": details["phone"], "name": details["name"], "workplace": details["workplace"],
            "group_label": details["group"], "first_organization_id": organization_id,
            "created_at": now, "updated_at": now}


def _participant_from_row(new_id: int, row: Mapping[str, Any]) -> Participant:
    """The participant just inserted from `row` (_participant_row), as an object (NewParticipant.attach)."""
    return Participant(id=new_id, phone=row["phone"], name=row["name"], workplace=row["workplace"],
                       group=row["group_label"], first_organization_id=row["first_organization_id"],
                       created_at=row["created_at"], updated_at=row["updated_at"], anonymized_at=None)


def _insert_new_participant(details: Mapping[str, str], organization_id: int | None) -> Participant | NewParticipant:
    """Insert a new participant in one statement; a concurrent insert of the same phone wins and is used."""
    row = _participant_row(details, organization_id)
    new_id = driver_sql.run(db.session.connection(), _INSERT_PARTICIPANT, row).scalar()
    if new_id is None:  # another request created the same phone a moment ago: use theirs
        existing = db.session.scalar(select(Participant).where(Participant.phone == details["phone"]))
        assert existing is not None
        return existing
    return NewParticipant(new_id, row)


def _insert_participant(details: Mapping[str, str], organization_id: int | None) -> Participant:
    """_insert_new_participant, as an object of the session."""
    found = _insert_new_participant(details, organization_id)
    if isinstance(found, Participant):
        return found
    participant = found.attach()
    participant.__dict__["_fresh"] = True  # no check-in or registration can exist yet (see check_in)
    return participant


def checkin_window(event: Event) -> tuple[datetime, datetime]:
    """Return the event's check-in window (UTC) with the configured default opening."""
    return event.window(current_app.config.get("CHECKIN_OPENS_MINUTES_BEFORE", 60))


def ensure_open(event: Event, now: datetime | None = None) -> None:
    """Raise CheckInRefused unless the event accepts check-ins at `now`."""
    now = now or utcnow()
    if event.status == CANCELLED:
        raise CheckInRefused(f"本场活动已取消。{_when(event)}", code="cancelled")
    if event.status != PUBLISHED:
        raise CheckInRefused("本场活动尚未发布，暂不能签到。", code="not_published")
    opens, closes = checkin_window(event)
    if now < opens:
        raise CheckInRefused(
            f"签到尚未开始，将于 {fmt_local(opens, '%m月%d日 %H:%M')} 开放。{_when(event)}", code="not_open"
        )
    if now > closes:
        raise CheckInRefused(f"签到已结束（截止 {fmt_local(closes, '%m月%d日 %H:%M')}）。{_when(event)}",
                             code="closed")


def _when(event: Event) -> str:
    return f"活动时间：{fmt_local(event.starts_at, '%m月%d日 %H:%M')} — {fmt_local(event.ends_at, '%H:%M')}"


_CHECK_IN_COLUMNS = ("event_id", "participant_id", "checked_in_at", "method", "by_user_id", "registration_id",
                     "name_given", "workplace_given", "device_hash", "client_ip", "user_agent", "status",
                     "pending_reason")
_CHECK_IN_ID = "SELECT id FROM check_in WHERE event_id = :event AND participant_id = :participant"
_ON_CHECK_IN_CONFLICT = " ON CONFLICT (event_id, participant_id) DO NOTHING RETURNING id"
_INSERT_CHECK_IN = (
    f"INSERT INTO check_in ({', '.join(_CHECK_IN_COLUMNS)}) VALUES ({', '.join(':' + c for c in _CHECK_IN_COLUMNS)})"
    + _ON_CHECK_IN_CONFLICT
)


# PostgreSQL: a counted check-in and its counts in one statement (counters.pg_counted_after); for a person new
# to the district, the participant's INSERT (`p`) too: the check-in takes p's id, and a phone inserted by
# a concurrent request a moment ago leaves `p`, and so everything, empty (the caller then goes the usual way).
_PG_RETURNING = ", participant_id, checked_in_at"  # what the CTEs over `c` read of it
_PG_CHECK_IN_CTE = f"c AS ({_INSERT_CHECK_IN}{_PG_RETURNING})"
_PG_NEW_PERSON_CHECK_IN = counters.pg_counted_after(
    f"p AS ({_INSERT_PARTICIPANT}), c AS (INSERT INTO check_in ({', '.join(_CHECK_IN_COLUMNS)}) SELECT "
    + ", ".join("p.id" if c == "participant_id" else driver_sql.pg_typed(CheckIn.__table__.c[c])
               for c in _CHECK_IN_COLUMNS)
    + f" FROM p{_ON_CHECK_IN_CONFLICT}{_PG_RETURNING})")


@dataclass(frozen=True)
class Rider:
    """A write that belongs with a new check-in, made by the check-in's own statement on PostgreSQL: `cte` is
    an INSERT … SELECT … FROM c (c: the check-in's RETURNING id, participant_id, checked_in_at) returning `id`,
    with its `params` (names of its own). Elsewhere, or when no check-in is inserted, it is not run: the
    caller sees CheckInResult.rode False and writes it itself."""

    cte: str
    params: Mapping[str, Any]


_pg_statements: dict[tuple[bool, str], str] = {}


def _pg_statement(audited: bool, rider: Rider | None) -> str:
    """The one statement of a counted check-in: with its audit entry (staff) and a rider's write (written once)."""
    key = (audited, rider.cte if rider else "")
    found = _pg_statements.get(key)
    if found is None:
        then = ([f"audit AS ({pg_entry_after('c')})"] if audited else []) + ([f"rider AS ({key[1]})"] if rider else [])
        found = _pg_statements[key] = counters.pg_counted_after(
            _PG_CHECK_IN_CTE, ", ".join(then), "(SELECT id FROM rider)" if rider else "")
    return found


def _one_statement(conn: Connection) -> bool:
    """Whether a counted check-in is one statement with its counts and riders (PostgreSQL), or step by step."""
    return conn.dialect.name == "postgresql"


def _audit_fields(event: Event, participant: Participant, method: str) -> dict[str, Any]:
    """The checkin.create entry of a staff check-in (a worker's own is its row: one write on the hot path;
    imports are one import.confirm entry)."""
    return {"organization": event.organization, "summary": f"{METHOD_LABELS[method]}签到：{person_label(participant)}",
            "changes": {"participant_id": participant.id, "method": method}}


def _unit_alone() -> bool:
    """Whether the session holds no change of its own, so one statement can be the request's whole write."""
    session = db.session()
    return not (session.new or session.dirty or session.deleted)


def check_in(
    event: Event,
    participant: Participant | NewParticipant,
    *,
    by: User | None,
    method: str,
    at: datetime | None = None,
    registration: Registration | None = None,
    enforce_window: bool = True,
    given: Mapping[str, str] | None = None,
    source: Source | None = None,
    absent: bool = False,
    alone: bool = False,
    rider: Rider | None = None,
) -> CheckInResult:
    """Record one person at one event; a repeat returns the first check-in and writes nothing.

    The new row is one INSERT … ON CONFLICT DO NOTHING (the unique constraint decides a race, no
    savepoint), then the event's counters (checkin/counters.py) in the same transaction. `absent`:
    the caller has just read that the person has no check-in here (person_at_event).

    `given` holds the name and workplace as typed for this check-in (kept on the row: the typist may
    not be entitled to the participant's own); `source` says where a self check-in came from, and a
    device past the limit gets its check-in stored as pending (see operations.review).
    On an event that requires registration, a self check-in must name the `registration` whose
    holder the caller has proof of (ticket link or SMS code): a typed phone alone proves nothing.
    `participant` may be a NewParticipant, inserted just now (check_in_typed): no object is built for it.
    `alone`: this check-in is all the request writes (a worker's own, committed right after): on PostgreSQL
    its one statement then commits itself (driver_sql.run_alone), unless the session holds other changes.
    On PostgreSQL a staff check-in's audit entry and a `rider` (Rider) are written by that statement too.
    """
    if method not in METHODS:
        raise OperationError("签到方式无效")
    if method != SELF_SCAN and not can_check_in_at(by, event.organization):
        raise OperationError("您无权为该活动签到", code="forbidden")
    # Inserted just now: nothing to look up.
    fresh = isinstance(participant, NewParticipant) or participant.__dict__.pop("_fresh", False)
    # A repeat answers from one driver read and writes nothing; only then is the ORM row loaded.
    existing_id = None if fresh or absent else driver_sql.run(
        db.session.connection(), _CHECK_IN_ID, {"event": event.id, "participant": participant.id}).scalar()
    if existing_id is not None:
        return CheckInResult(db.session.get_one(CheckIn, existing_id), created=False)
    if registration is None and not fresh and not (method == SELF_SCAN and event.requires_registration):
        registration = active_registration(event, _as_object(participant))
    values = _new_row(event, participant.id, by=by, method=method, at=at, registration=registration,
                      enforce_window=enforce_window, given=given, source=source)
    conn = db.session.connection()
    pending = values["status"] == CHECKIN_PENDING
    audited = method in (STAFF_SCAN, MANUAL)  # a staff check-in has its checkin.create entry
    counts: tuple[int, ...] | None = None
    rider_id: int | None = None
    rode = False
    if _one_statement(conn) and not pending:
        params = {**values, **counters.count_one(method)}
        if audited:  # its entry is written by the same statement, the check-in's id taken from `c`
            params.update(entry_params(by, "checkin.create", object_type=CheckIn.__tablename__, event_id=event.id,
                                       **_audit_fields(event, _as_object(participant), method)))
        if rider is not None:
            params.update(rider.params)
        execute = driver_sql.run_alone if alone and _unit_alone() else driver_sql.run
        row = execute(conn, _pg_statement(audited, rider), params).first()
        new_id, seq = (row[0], int(row[2])) if row is not None else (None, 0)
        if row is not None:
            counts, audited = tuple(row[3:8]), False  # the entry is written already
            rode, rider_id = rider is not None, row[8] if rider is not None else None
    else:
        new_id = driver_sql.run(conn, _INSERT_CHECK_IN, values).scalar()
        seq = counters.added(conn, event, participant.id, method, pending) if new_id is not None else 0
    if new_id is None:
        # Lost a race with a concurrent submit of the same person: answer "already".
        existing = existing_check_in(event, _as_object(participant))
        if existing is None:
            raise OperationError("签到未能保存，请重试")
        return CheckInResult(existing, created=False)
    new = NewCheckIn(new_id, values, participant)
    record = new.attach() if audited else new
    if audited:
        # Not used here: written at once (record_now), the commit has no ORM flush to do.
        record_now(by, "checkin.create", record, **_audit_fields(event, _as_object(participant), method))
    return CheckInResult(record, created=True, seq=seq, counts=counts, rode=rode, rider_id=rider_id)


def check_in_typed(event: Event, details: Mapping[str, str], known: Participant | None, *,
                   registration: Registration | None, source: Source | None,
                   absent: bool = False) -> CheckInResult:
    """A worker's own check-in with the details typed on the phone: record_participant, then check_in as all
    the request writes (`alone`). `known`: the participant with that phone, as just read (None: new), and
    `absent` that this read found no check-in of theirs here.

    On PostgreSQL a person new to the district is inserted by the check-in's own statement (one round trip
    for everything); check_in's rules are the same (_new_row).
    """
    if known is None and db.session.get_bind().dialect.name == "postgresql" and _unit_alone():
        values = _new_row(event, None, by=None, method=SELF_SCAN, at=None, registration=registration,
                          enforce_window=True, given=details, source=source)
        if values["status"] != CHECKIN_PENDING:
            person = _participant_row(details, event.organization_id)
            row = driver_sql.run_alone(db.session.connection(), _PG_NEW_PERSON_CHECK_IN,
                                       {**values, **person, **counters.count_one(SELF_SCAN)}).first()
            if row is not None:
                values["participant_id"] = row[1]
                return CheckInResult(NewCheckIn(row[0], values, NewParticipant(row[1], person)), created=True,
                                     seq=int(row[2]), counts=tuple(row[3:8]))
            # The phone was inserted by a concurrent request (its twin submit, most likely): theirs is used.
            known = db.session.scalar(select(Participant).where(Participant.phone == details["phone"]))
            absent = False
    participant = _insert_new_participant(details, event.organization_id) if known is None else \
        record_participant(details, known, by=None, organization_id=event.organization_id)
    return check_in(event, participant, by=None, method=SELF_SCAN, registration=registration, given=details,
                    source=source, absent=absent, alone=True)


def _new_row(event: Event, participant_id: int | None, *, by: User | None, method: str, at: datetime | None,
             registration: Registration | None, enforce_window: bool, given: Mapping[str, str] | None,
             source: Source | None) -> dict[str, Any]:
    """check_in's refusals for a person not checked in here, then the values of their new check-in row."""
    if event.requires_registration and registration is None and method in (SELF_SCAN, STAFF_SCAN):
        # Staff typing someone in by hand (MANUAL) or importing paper may admit a walk-in; scans may not.
        raise CheckInRefused("本场活动需提前报名，凭报名电子票签到。", code="registration_required")
    if enforce_window:
        ensure_open(event, at)
    elif event.status == CANCELLED:
        raise CheckInRefused("本场活动已取消，不能签到。", code="cancelled")
    values = {
        "event_id": event.id, "participant_id": participant_id, "checked_in_at": at or utcnow(),
        "method": method, "by_user_id": by.id if by else None,
        "registration_id": registration.id if registration else None,
        "name_given": (given or {}).get("name", "")[:40] or (registration.name_given if registration else ""),
        "workplace_given": (given or {}).get("workplace", "")[:100]
        or (registration.workplace_given if registration else ""),
        "device_hash": "", "client_ip": "", "user_agent": "", "status": CHECKIN_OK, "pending_reason": "",
    }
    if source is not None and method == SELF_SCAN:
        values.update(device_hash=source.device_hash[:32], client_ip=source.client_ip[:50],
                      user_agent=source.user_agent[:40])
        reason = pending_reason(event, source)
        if reason:
            values.update(status=CHECKIN_PENDING, pending_reason=reason[:200])
    return values


def _check_in_from_values(new_id: int, values: Mapping[str, Any], participant: Participant) -> CheckIn:
    """The check-in row just inserted, as an object with its participant (NewCheckIn.attach)."""
    record = CheckIn(id=new_id, checked_out_at=None, checked_out_by_id=None, reviewed_by_id=None,
                     reviewed_at=None, **values)
    set_committed_value(record, "participant", participant)  # known here: nothing loads it again
    return record


def undo_check_in(record: CheckIn, *, by: User, reason: str = "") -> AuditEntry:
    """Remove a mistaken check-in: its own checker within the undo window, an organizer any time."""
    if not can_check_in_at(by, record.event.organization):
        raise OperationError("您无权撤销该签到", code="forbidden")
    window = timedelta(minutes=current_app.config.get("UNDO_WINDOW_MINUTES", 5))
    own_recent = record.by_user_id == by.id and utcnow() - record.checked_in_at <= window
    if not (by.can_manage or own_recent):
        raise OperationError(
            f"只能在签到后 {int(window.total_seconds() // 60)} 分钟内撤销自己操作的签到，请联系活动组织者。",
            code="undo_expired",
        )
    # The audit entry is the undo's only trace: it keeps what the deleted row said.
    reason = reason.strip()[:200]
    undo = audit(
        by, "checkin.undo", record, organization=record.event.organization,
        summary=f"撤销签到：{person_label(record.participant)}（{record.method_label}）"
        + (f"，原因：{reason}" if reason else ""),
        changes={"event_id": record.event_id, "participant_id": record.participant_id,
                 "checked_in_at": record.checked_in_at, "method": record.method,
                 "by_user_id": record.by_user_id, "reason": reason},
    )
    db.session.delete(record)
    db.session.flush()
    return undo


def check_out(record: CheckIn, *, by: User | None, at: datetime | None = None) -> CheckIn:
    """Record when the person left (签退); the first check-out stands."""
    event = record.event
    if not event.checkout_enabled:
        raise OperationError("本场活动不需要签退", code="checkout_disabled")
    if by is not None and not can_check_in_at(by, event.organization):
        raise OperationError("您无权为该活动签退", code="forbidden")
    if record.checked_out_at is None:
        record.checked_out_at = at or utcnow()
        record.checked_out_by_id = by.id if by else None
        if by is not None:  # like check-in, a worker's own check-out is recorded by its row alone
            audit(by, "checkin.checkout", record, organization=event.organization,
                  summary=f"签退：{person_label(record.participant)}")
        db.session.flush()
    return record


# --- Registration ahead (报名) -------------------------------------------------------------
#
# A registration is `registered` (holds a seat), `waitlisted` (queued by created_at) or
# `cancelled`. "Checked in" is not a status: it is the CheckIn row, so counting keeps one source.
