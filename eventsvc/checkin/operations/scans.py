"""Staff scans, one at a time or as an offline batch, made idempotent by the device's scan id.

Every scan carries a `client_scan_id` the scanning page made. The first time the server sees an
id it claims it (inserts the ScanRecord), decides the scan (check in, check out or refuse) and
stores the decision on that record, all in the request's one transaction; a resend of the id gets
the stored decision back (attempts + 1) and changes nothing. Two devices scanning one ticket have
different ids: the unique (event, participant) check-in rule then makes the second one "already".

The page shows its own guess as 待确认 while a scan waits in its offline queue; the server decides
each queued scan on arrival with the time the device saw it, so no check-in is ever provisional.

Results carry codes, ids and times only: the scanner view words the answer, and the stored
record holds no personal details.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select

from eventsvc.checkin.models import MANUAL, CheckIn, Participant, Registration, ScanRecord
from eventsvc.checkin.operations.checkins import CheckInResult, Rider, check_in, check_out, upsert_participant
from eventsvc.checkin.operations.registrations import admit_ticket, ticket_token_from
from eventsvc.checkin.queries import active_registration, existing_check_in, scan_ticket_at_event
from eventsvc.core import driver_sql
from eventsvc.core.exceptions import OperationError
from eventsvc.core.permissions import can_check_in_at
from eventsvc.core.timeutil import utcnow
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.orgs.models import User

MAX_BATCH = 500
# Scans queued longer than this are decided at arrival time rather than at a stale device time.
MAX_QUEUE_AGE = timedelta(days=2)


class Mode(StrEnum):
    IN = "in"
    OUT = "out"


MODE_IN, MODE_OUT = Mode.IN.value, Mode.OUT.value


class Outcome(StrEnum):
    SUCCESS = "success"
    ALREADY = "already"
    REFUSED = "refused"
    CHECKED_OUT = "checked_out"
    ALREADY_OUT = "already_out"
    REFUSED_OUT = "refused_out"

    @property
    def ok(self) -> bool:
        return self not in (Outcome.REFUSED, Outcome.REFUSED_OUT)


@dataclass(frozen=True)
class Scan:
    """One staff scan: exactly one of a ticket `code`, a picked `participant_id` or walk-in `person`."""

    client_scan_id: str
    mode: Mode = Mode.IN
    scanned_at: datetime | None = None  # naive UTC, as the device reported it
    code: str = ""
    participant_id: int | None = None
    person: Mapping[str, str] | None = None  # name, phone, workplace, group (already validated)


@dataclass(frozen=True)
class ScanResult:
    """What a scan decided: the outcome, a reason code, whom and which check-in it concerned."""

    client_scan_id: str
    outcome: Outcome
    code: str  # the refusal reason, else the outcome's value
    participant_id: int | None = None
    check_in_id: int | None = None
    checked_in_at: datetime | None = None
    checked_out_at: datetime | None = None
    replayed: bool = False
    # The check-in itself when this request decided it: the answer reads it (and its person) from here
    # instead of loading both again. Not part of what is stored or compared.
    check_in: CheckIn | None = field(default=None, compare=False, repr=False)
    # The event's counters.SHOWN_FIGURES as this scan left them, when its statement returned them.
    counts: tuple[int, ...] | None = field(default=None, compare=False, repr=False)


def clamp_scanned_at(when: datetime | None, now: datetime) -> datetime:
    """Return the device's scan time, or `now` when it is missing, in the future or too old."""
    if when is None or when > now or when < now - MAX_QUEUE_AGE:
        return now
    return when


def _result(scan: Scan, outcome: Outcome, record: CheckIn | None = None, *, code: str = "",
            participant_id: int | None = None) -> ScanResult:
    if record is not None:
        participant_id = record.participant_id
    return ScanResult(
        client_scan_id=scan.client_scan_id, outcome=outcome, code=code or outcome.value,
        participant_id=participant_id, check_in_id=record.id if record else None,
        checked_in_at=record.checked_in_at if record else None,
        checked_out_at=record.checked_out_at if record else None, check_in=record,
    )


def _from_check_in(scan: Scan, result: CheckInResult) -> ScanResult:
    answer = _result(scan, Outcome.SUCCESS if result.created else Outcome.ALREADY, result.check_in)
    return replace(answer, counts=result.counts) if result.counts is not None else answer


def _participant_for(event: Event, scan: Scan, *, by: User,
                     ticket: Registration | None) -> tuple[Participant, Registration | None]:
    """Identify whom a scan is about: a ticket (`ticket`: its registration, read by _decide), a listed
    participant, or walk-in details."""
    if scan.code:
        reg = ticket
        if reg is None or reg.event_id != event.id:
            raise OperationError("未找到该电子票", code="not_registered")
        return reg.participant, reg
    if scan.participant_id is not None:
        participant = db.session.get(Participant, scan.participant_id)
        # Staff may pick only people this event knows (registered or checked in): no probing others.
        known = participant is not None and (
            existing_check_in(event, participant) is not None
            or db.session.scalar(select(Registration.id).where(
                Registration.event_id == event.id, Registration.participant_id == participant.id)) is not None
        )
        if not known or participant is None:
            raise OperationError("没有此人的报名或签到记录", code="not_registered")
        return participant, active_registration(event, participant)
    if scan.person is not None:
        p = scan.person
        participant = upsert_participant(p.get("name", ""), p.get("phone", ""), p.get("workplace", ""),
                                         p.get("group", ""), by=by, organization=event.organization)
        return participant, active_registration(event, participant)
    raise OperationError("扫码内容为空", code="bad_scan")


def _decide(event: Event, scan: Scan, *, by: User, at: datetime, ticket: Registration | None,
            checked_in: int | None, rider: Rider | None, alone: bool) -> tuple[ScanResult, bool]:
    """Apply one scan and return the outcome (a refusal is an outcome, not an error), and whether `rider` (the
    scan's record, for a check-in) was written with it. `ticket` and `checked_in`: scan_ticket_at_event's."""
    refused = Outcome.REFUSED if scan.mode == Mode.IN else Outcome.REFUSED_OUT
    # The holder of a ticket of this event, so a refusal can name them; a foreign ticket names nobody.
    participant_id: int | None = ticket.participant_id if ticket is not None and ticket.event_id == event.id else None
    try:
        if scan.mode == Mode.IN:
            if scan.code:
                result = admit_ticket(event, scan.code, ticket, by=by, at=at, rider=rider, alone=alone,
                                      absent=ticket is not None and checked_in is None)
            else:
                participant, reg = _participant_for(event, scan, by=by, ticket=None)
                participant_id = participant.id
                result = check_in(event, participant, by=by, method=MANUAL, at=at, registration=reg,
                                  given=scan.person, rider=rider, alone=alone)
            if result.rode and result.rider_id is None:
                # The id was stored by another scan since this one's read. A resend of this same scan never gets
                # here (its check-in meets the original's first); a device reusing an id for another ticket does,
                # and then, sent in autocommit, this check-in stands as the staff member scanned it.
                raise ScanRaced("该扫码记录正在另一请求中处理，请重试", code="scan_raced")
            return _from_check_in(scan, result), result.rode
        participant, _reg = _participant_for(event, scan, by=by, ticket=ticket)
        participant_id = participant.id
        record = existing_check_in(event, participant)
        if record is None:
            raise OperationError("尚未签到", code="not_checked_in")
        if record.checked_out_at is not None:
            return _result(scan, Outcome.ALREADY_OUT, record), False
        check_out(record, by=by, at=max(at, record.checked_in_at))
        return _result(scan, Outcome.CHECKED_OUT, record), False
    except ScanRaced:
        raise
    except OperationError as exc:
        if exc.code == "not_registered":
            participant_id = None  # never reveal who a foreign ticket or id belongs to
        return _result(scan, refused, code=exc.code, participant_id=participant_id), False


def _stored(record: ScanRecord, scan: Scan) -> ScanResult:
    return ScanResult(
        client_scan_id=scan.client_scan_id, outcome=Outcome(record.outcome), code=record.code,
        participant_id=record.participant_id, check_in_id=record.check_in_id,
        checked_in_at=record.checked_in_at, checked_out_at=record.checked_out_at, replayed=True,
    )


def _replay(record: ScanRecord, event: Event, scan: Scan) -> ScanResult:
    if record.event_id != event.id:
        return ScanResult(client_scan_id=scan.client_scan_id, outcome=Outcome.REFUSED, code="scan_id_conflict")
    # An SQL increment, not read-modify-write: concurrent resends must not lose a count.
    record.attempts = ScanRecord.attempts + 1
    db.session.flush()
    return _stored(record, scan)


def _known_scan(client_scan_id: str) -> ScanRecord | None:
    return db.session.scalar(select(ScanRecord).where(ScanRecord.client_scan_id == client_scan_id))


class ScanRaced(OperationError):
    """Another request stored this scan id while this one decided it: roll back and apply the batch again."""


# Driver SQL (core.driver_sql): a scan id is looked up first, and the decision stored last in one INSERT.
_SEEN = "SELECT id FROM scan_record WHERE client_scan_id = :client_scan_id"
_STORED_COLUMNS = ("client_scan_id, event_id, user_id, scanned_at, received_at, outcome, code, participant_id,"
                   " check_in_id, checked_in_at, checked_out_at, attempts")
_ON_STORED = " ON CONFLICT (client_scan_id) DO NOTHING RETURNING id"
_STORE = (f"INSERT INTO scan_record ({_STORED_COLUMNS}) VALUES (:client_scan_id, :event_id, :user_id, :scanned_at,"
          " :received_at, :outcome, :code, :participant_id, :check_in_id, :checked_in_at, :checked_out_at, 1)"
          + _ON_STORED)
# The same record of a scan that checks someone in, written by the check-in's own statement (a Rider, PostgreSQL).
_STORE_WITH_CHECK_IN = (
    f"INSERT INTO scan_record ({_STORED_COLUMNS}) SELECT "
    + ", ".join(driver_sql.pg_typed(ScanRecord.__table__.c[name], f"scan_{name}")
                for name in ("client_scan_id", "event_id", "user_id", "scanned_at", "received_at"))
    + f", '{Outcome.SUCCESS.value}', '{Outcome.SUCCESS.value}', c.participant_id, c.id, c.checked_in_at, NULL, 1"
    " FROM c" + _ON_STORED
)


def process_scan(event: Event, scan: Scan, *, by: User, now: datetime | None = None,
                 alone: bool = False) -> ScanResult:
    """Decide one staff scan once; a repeated client_scan_id returns the stored decision.

    The reads come first (one, for a ticket: its scan id, registration, holder and check-in) and every write
    last, so SQLite's single write lock is held for the writes only, not for the whole scan. On PostgreSQL a
    check-in, its counts, its audit entry and the scan's record are one statement, which commits itself when
    it is all the request writes (`alone`: the request's only scan). A retry racing its original (the device
    resent before the answer came) finds the id taken when storing its decision and raises ScanRaced: the
    caller rolls back and applies the batch again, which then replays the original's answer.
    """
    if not can_check_in_at(by, event.organization):
        raise OperationError("您无权为该活动签到", code="forbidden")
    ticket: Registration | None = None
    checked_in: int | None = None
    if scan.code:
        seen, ticket, checked_in = scan_ticket_at_event(scan.client_scan_id, ticket_token_from(scan.code), event)
    else:
        seen = driver_sql.read(db.session.connection(), _SEEN, {"client_scan_id": scan.client_scan_id}).scalar()
    if seen is not None:
        known = _known_scan(scan.client_scan_id)
        assert known is not None
        return _replay(known, event, scan)
    now = now or utcnow()
    at = clamp_scanned_at(scan.scanned_at, now)
    stored = {"client_scan_id": scan.client_scan_id, "event_id": event.id, "user_id": by.id, "scanned_at": at,
              "received_at": now}
    rider = Rider(_STORE_WITH_CHECK_IN, {f"scan_{k}": v for k, v in stored.items()}) if scan.mode == Mode.IN else None
    result, written = _decide(event, scan, by=by, at=at, ticket=ticket, checked_in=checked_in, rider=rider,
                              alone=alone)
    if written:
        return result
    if driver_sql.run(db.session.connection(), _STORE, {
            **stored, "outcome": result.outcome.value, "code": result.code, "participant_id": result.participant_id,
            "check_in_id": result.check_in_id, "checked_in_at": result.checked_in_at,
            "checked_out_at": result.checked_out_at}).scalar() is None:
        raise ScanRaced("该扫码记录正在另一请求中处理，请重试", code="scan_raced")
    return result  # built by _result: replayed is False already, no copy needed


def sync_scans(event: Event, scans: Sequence[Scan], *, by: User) -> list[ScanResult]:
    """Apply a batch of queued scans in order; each result is what a single scan would return."""
    if len(scans) > MAX_BATCH:
        raise OperationError(f"一次最多同步 {MAX_BATCH} 条扫码记录。", code="bad_scan")
    return [process_scan(event, scan, by=by) for scan in scans]
