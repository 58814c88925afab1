"""Retention and erasure of workers' personal data (PIPL, issue 8 §8).

Anonymizing keeps every row that counts (check-ins, registrations) and the participant row they point to,
so sessions, 人次 and 人 stay exactly as reported; only what identifies the person is replaced.
"""
from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, exists, or_, select, update

from eventsvc.audit.operations import record
from eventsvc.checkin.models import CheckIn, Participant, Registration
from eventsvc.core.exceptions import OperationError
from eventsvc.core.timeutil import utcnow
from eventsvc.extensions import db
from eventsvc.orgs.models import User
from eventsvc.privacy.traces import TraceCounts, forget_person, purge_traces, recent_station_visit

ANONYMOUS_NAME = "已匿名"
_DIGITS36 = string.digits + string.ascii_lowercase


def placeholder_phone(participant_id: int) -> str:
    """Return the 11-character stand-in for an anonymized person's phone: unique, never a mobile number."""
    n, out = participant_id, ""
    while n:
        n, rem = divmod(n, 36)
        out = _DIGITS36[rem] + out
    return "anon" + out.rjust(7, "0")  # "anon" can never normalize to 1[3-9]xxxxxxxxx


def _require_admin(by: User | None) -> None:
    if by is None or not by.is_admin or by.scope_path:
        raise OperationError("只有区级管理员可以导出或删除个人信息", code="forbidden")


def anonymize(person: Participant, *, now: datetime | None = None) -> None:
    """Replace the person's identifying fields, keep their rows; also what was typed at events and stations,
    and the phone in notices, opt-outs and verification codes."""
    now = now or utcnow()
    phone = person.phone
    person.name, person.phone, person.workplace = ANONYMOUS_NAME, placeholder_phone(person.id), ""
    person.anonymized_at = now
    db.session.execute(
        update(CheckIn).where(CheckIn.participant_id == person.id)
        .values(name_given="", workplace_given="", device_hash="", client_ip="", user_agent="")
    )
    db.session.execute(
        update(Registration).where(Registration.participant_id == person.id).values(name_given="", workplace_given="")
    )
    forget_person(person.id, phone or "")
    db.session.flush()


def inactive_since(cutoff: datetime) -> Select[Participant]:
    """Select participants not yet anonymized with no record, check-in or registration after `cutoff`."""
    recent_check_in = exists().where(
        CheckIn.participant_id == Participant.id,
        or_(CheckIn.checked_in_at >= cutoff, CheckIn.checked_out_at >= cutoff),  # NULL compares false
    )
    recent_registration = exists().where(
        Registration.participant_id == Participant.id,
        or_(Registration.created_at >= cutoff, Registration.updated_at >= cutoff),
    )
    return (
        select(Participant)
        .where(Participant.anonymized_at.is_(None), Participant.created_at < cutoff, Participant.updated_at < cutoff,
               ~recent_check_in, ~recent_registration, ~recent_station_visit(cutoff))
        .order_by(Participant.id)
    )


@dataclass(frozen=True)
class PurgeResult:
    cutoff: datetime
    count: int
    participant_ids: list[int]
    dry_run: bool
    traces: TraceCounts = TraceCounts()


def purge_inactive(days: int, *, dry_run: bool = False, now: datetime | None = None) -> PurgeResult:
    """Anonymize everyone inactive for `days` (the daily timer; by is the system). Dry run changes nothing."""
    if days < 1:
        raise OperationError("保留天数必须是正整数", code="bad_days")
    now = now or utcnow()
    cutoff = now - timedelta(days=days)
    people = list(db.session.scalars(inactive_since(cutoff)))
    traces = purge_traces(cutoff, now, dry_run=True) if dry_run else TraceCounts()
    if not dry_run:
        for person in people:
            anonymize(person, now=now)
        if people:
            record(None, "privacy.purge", summary=f"匿名化 {len(people)} 名超过 {days} 天无活动的职工",
                   object_type="participant", changes={"count": len(people), "days": days})
        traces = purge_traces(cutoff, now, dry_run=False)  # after the people: their own traces went with them
        if traces.total:
            record(None, "privacy.purge_traces", summary=_traces_summary(traces), object_type="notice",
                   changes={"notices": traces.notices, "opt_outs": traces.opt_outs, "codes": traces.codes,
                            "previews": traces.previews})
        db.session.flush()
    return PurgeResult(cutoff, len(people), [p.id for p in people], dry_run, traces)


def _traces_summary(traces: TraceCounts) -> str:
    return (f"清理个人信息痕迹：短信记录 {traces.notices} 条隐去手机号，停止提醒 {traces.opt_outs} 条、"
            f"验证码 {traces.codes} 条、过期导入预览 {traces.previews} 份已删除")


def erase_person(person: Participant, *, by: User | None, reason: str = "") -> Participant:
    """Erase a person's data on their request (an administrator acts; the counts stay)."""
    _require_admin(by)
    if person.anonymized_at is not None:
        raise OperationError("该职工的个人信息已经匿名化", code="already")
    anonymize(person)
    record(by, "privacy.erase", person, summary=f"应本人申请删除职工 #{person.id} 的个人信息"
           + (f"（{reason.strip()[:100]}）" if reason.strip() else ""))
    db.session.flush()
    return person


def note_export(person: Participant, *, by: User | None, fmt: str) -> None:
    """Check that `by` may export a person's data and write the audit entry for it."""
    _require_admin(by)
    record(by, "privacy.export", person, summary=f"导出职工 #{person.id} 的个人信息（{fmt}）",
           changes={"format": fmt})
    db.session.flush()
