"""Staff scans, one at a time or as an offline batch, made idempotent by the device's scan id.

Every scan carries a `client_scan_id` the scanning page made. The first time the server sees an
id it claims it (inserts the ScanRecord), decides the scan (check in, check out or refuse) and
stores the answer on that record, all in the request's one transaction; a resend of the id gets the stored answer back (attempts + 1) and changes
nothing. Two devices scanning one ticket have different ids: the unique (event, participant)
check-in rule then makes the second one "already checked in".

Offline: the page shows its own guess as 待确认 (provisional) while a scan waits in its queue;
the server's answer, when it arrives, replaces the guess. Server-side check-ins are therefore
never left provisional: a queued scan is decided on arrival with the time the device saw it.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from eventsvc.checkin.models import (
    MANUAL,
    CheckIn,
    Participant,
    Registration,
    ScanRecord,
)
from eventsvc.checkin.operations.checkins import (
    CheckInResult,
    check_in,
    check_out,
    upsert_participant,
)
from eventsvc.checkin.operations.registrations import (
    check_in_by_ticket,
    ticket_token_from,
)
from eventsvc.checkin.queries import (
    active_registration,
    existing_check_in,
    registration_by_token,
)
from eventsvc.core.exceptions import OperationError
from eventsvc.core.phones import mask_phone
from eventsvc.core.timeutil import fmt_local, utcnow
from eventsvc.db import savepoint
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.orgs.models import User

MODE_IN = "in"
MODE_OUT = "out"
MAX_BATCH = 500
# Scans queued longer than this are decided at arrival time rather than at a stale device time.
MAX_QUEUE_AGE = timedelta(days=2)
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")

TITLES = {
    "success": "签到成功", "already": "已签到", "refused": "无法签到",
    "checked_out": "签退成功", "already_out": "已签退", "refused_out": "无法签退",
}


def parse_scanned_at(value: Any, now: datetime) -> datetime:
    """Return the device's scan time as naive UTC, clamped to [now - 2 days, now]."""
    when: Optional[datetime] = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            when = datetime.fromtimestamp(value / 1000, tz=timezone.utc).replace(tzinfo=None)
        except (OverflowError, OSError, ValueError):
            when = None
    elif isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            when = parsed.astimezone(timezone.utc).replace(tzinfo=None) if parsed.tzinfo else parsed
        except ValueError:
            when = None
    if when is None or when > now or when < now - MAX_QUEUE_AGE:
        return now
    return when


def _person_fields(participant: Participant) -> dict[str, Any]:
    return {"participant_id": participant.id, "name": participant.name, "phone": mask_phone(participant.phone),
            "workplace": participant.workplace}


def _check_in_fields(record: CheckIn) -> dict[str, Any]:
    return {
        "check_in_id": record.id,
        "checked_in_at": fmt_local(record.checked_in_at, "%Y-%m-%d %H:%M:%S"),
        "checked_out_at": fmt_local(record.checked_out_at, "%Y-%m-%d %H:%M:%S") if record.checked_out_at else None,
        "duration_minutes": record.duration_minutes,
    }


def _answer(outcome: str, message: str, code: str = "", **fields: Any) -> dict[str, Any]:
    return {"ok": outcome in ("success", "already", "checked_out", "already_out"), "outcome": outcome,
            "title": TITLES[outcome], "message": message, "code": code or outcome, "provisional": False, **fields}


def _result_in(result: CheckInResult) -> dict[str, Any]:
    record = result.check_in
    person = _person_fields(record.participant)
    if result.created:
        return _answer("success", f"{person['name']}，签到成功", **person, **_check_in_fields(record))
    first = fmt_local(record.checked_in_at, "%m月%d日 %H:%M")
    return _answer("already", f"{person['name']} 已于 {first} 签到，不重复计数", first_time=first,
                   **person, **_check_in_fields(record))


def _participant_for(event: Event, scan: Mapping[str, Any], *, by: User) -> tuple[Participant, Optional[Registration]]:
    """Identify whom a scan is about: a ticket, a listed participant, or walk-in details."""
    if scan.get("code"):
        reg = registration_by_token(ticket_token_from(str(scan["code"])))
        if reg is None or reg.event_id != event.id:
            raise OperationError("未找到该电子票：此人未报名本场活动。", code="not_registered")
        return reg.participant, reg
    if scan.get("participant_id") is not None:
        try:
            pid = int(scan["participant_id"])
        except (TypeError, ValueError):
            raise OperationError("人员编号无效。", code="bad_scan") from None
        participant = db.session.get(Participant, pid)
        # Staff may pick only people this event knows (registered or checked in): no probing others.
        known = participant is not None and (
            existing_check_in(event, participant) is not None
            or db.session.scalar(select(Registration.id).where(
                Registration.event_id == event.id, Registration.participant_id == pid)) is not None
        )
        if not known:
            raise OperationError("本场活动没有此人的报名或签到记录。", code="not_registered")
        return participant, active_registration(event, participant)
    person = scan.get("person")
    if isinstance(person, Mapping):
        participant = upsert_participant(str(person.get("name", "")), str(person.get("phone", "")),
                                         str(person.get("workplace", "")), str(person.get("group", "")), by=by)
        return participant, active_registration(event, participant)
    raise OperationError("扫码内容为空。", code="bad_scan")


def _decide(event: Event, scan: Mapping[str, Any], *, by: User, at: datetime) -> dict[str, Any]:
    """Apply one scan and describe the outcome (a refusal is an outcome, not an error)."""
    mode = scan.get("mode") or MODE_IN
    if mode not in (MODE_IN, MODE_OUT):
        return _answer("refused", "扫码模式无效。", code="bad_scan")
    try:
        if mode == MODE_IN:
            if scan.get("code"):
                return _result_in(check_in_by_ticket(event, str(scan["code"]), by=by, at=at))
            participant, reg = _participant_for(event, scan, by=by)
            return _result_in(check_in(event, participant, by=by, method=MANUAL, at=at, registration=reg))
        participant, _reg = _participant_for(event, scan, by=by)
        record = existing_check_in(event, participant)
        if record is None:
            raise OperationError(f"{participant.name} 尚未签到，不能签退。", code="not_checked_in")
        person = _person_fields(participant)
        if record.checked_out_at is not None:
            first = fmt_local(record.checked_out_at, "%m月%d日 %H:%M")
            return _answer("already_out", f"{participant.name} 已于 {first} 签退", first_time=first,
                           **person, **_check_in_fields(record))
        check_out(record, by=by, at=max(at, record.checked_in_at))
        return _answer("checked_out", f"{participant.name}，签退成功（在场 {record.duration_minutes} 分钟）",
                       **person, **_check_in_fields(record))
    except OperationError as exc:
        return _answer("refused" if mode == MODE_IN else "refused_out", exc.message, code=exc.code)


def _replay(record: ScanRecord, event: Event) -> dict[str, Any]:
    if record.event_id != event.id:
        return _answer("refused", "扫码编号与其他活动冲突，请重新扫码。", code="scan_id_conflict",
                       client_scan_id=record.client_scan_id)
    # An SQL increment, not read-modify-write: concurrent resends must not lose a count.
    record.attempts = ScanRecord.attempts + 1
    db.session.flush()
    data = json.loads(record.result_json or "{}")
    data["replayed"] = True
    return data


def _known_scan(client_scan_id: str) -> Optional[ScanRecord]:
    return db.session.scalar(select(ScanRecord).where(ScanRecord.client_scan_id == client_scan_id))


def process_scan(event: Event, scan: Mapping[str, Any], *, by: User, now: Optional[datetime] = None) -> dict[str, Any]:
    """Decide one staff scan once; a repeated client_scan_id returns the stored answer."""
    if by is None or not by.can_check_in or not by.reaches(event.organization):
        raise OperationError("您无权为该活动签到", code="forbidden")
    client_scan_id = str(scan.get("client_scan_id") or "")
    if not _CLIENT_ID.match(client_scan_id):
        return _answer("refused", "扫码编号无效，请刷新扫码页面。", code="bad_scan", client_scan_id=client_scan_id)
    known = _known_scan(client_scan_id)
    if known is not None:
        return _replay(known, event)
    now = now or utcnow()
    at = parse_scanned_at(scan.get("scanned_at"), now)
    record = ScanRecord(client_scan_id=client_scan_id, event_id=event.id, user_id=by.id, scanned_at=at,
                        received_at=now, outcome="pending", result_json="{}")
    try:
        # Claim the id before deciding: a retry racing the original waits on this insert and then
        # gets the original's answer. Writing first in the transaction also lets SQLite queue
        # concurrent scanners on its write lock instead of failing them on a stale read.
        with savepoint(db.session):
            db.session.add(record)
    except IntegrityError:
        known = _known_scan(client_scan_id)
        if known is None:
            raise
        return _replay(known, event)
    result = _decide(event, scan, by=by, at=at)
    result["client_scan_id"] = client_scan_id
    record.outcome = result["outcome"]
    record.result_json = json.dumps(result, ensure_ascii=False)
    db.session.flush()
    result["replayed"] = False
    return result


def sync_scans(event: Event, scans: Sequence[Any], *, by: User) -> list[dict[str, Any]]:
    """Apply a batch of queued scans in order; each answer is what a single scan would return."""
    if len(scans) > MAX_BATCH:
        raise OperationError(f"一次最多同步 {MAX_BATCH} 条扫码记录。", code="batch_too_large")
    results = []
    for scan in scans:
        if not isinstance(scan, Mapping):
            results.append(_answer("refused", "扫码记录格式无效。", code="bad_scan"))
            continue
        results.append(process_scan(event, scan, by=by))
    return results
