"""Word a scan's result for the door staff: title and message in Chinese, the person's masked details.

Operations decide and store codes, ids and times; this builds the answer each time it is sent, so a
replayed scan shows the participant's current name and the stored record holds no personal data.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from eventsvc.checkin.models import CheckIn, Participant
from eventsvc.checkin.operations import Outcome, ScanResult, checkin_window, may_edit_participant
from eventsvc.core.phones import mask_phone
from eventsvc.core.timeutil import fmt_local
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.orgs.models import User

TITLES = {
    Outcome.SUCCESS: "签到成功", Outcome.ALREADY: "已签到", Outcome.REFUSED: "无法签到",
    Outcome.CHECKED_OUT: "签退成功", Outcome.ALREADY_OUT: "已签退", Outcome.REFUSED_OUT: "无法签退",
}
_FULL = "%Y-%m-%d %H:%M:%S"
_SHORT = "%m月%d日 %H:%M"


def _when(event: Event) -> str:
    return f"活动时间：{fmt_local(event.starts_at, _SHORT)} — {fmt_local(event.ends_at, '%H:%M')}"


# Each refusal code's message; `name` is the ticket holder's name where the scan may show it.
_REFUSALS: dict[str, Callable[[Event, str], str]] = {
    "not_registered": lambda e, n: "未找到该电子票或人员：此人未报名本场活动。",
    "wrong_event": lambda e, n: "这张电子票不是本场活动的。",
    "cancelled_ticket": lambda e, n: f"{n} 的报名已取消。",
    "waitlisted": lambda e, n: f"{n} 仍在候补名单中，未获得名额。",
    "not_a_ticket": lambda e, n: "这是活动的自助签到码，不是职工的报名电子票。",
    "registration_required": lambda e, n: "本场活动需提前报名，凭报名电子票签到。",
    "not_open": lambda e, n: f"签到尚未开始，将于 {fmt_local(checkin_window(e)[0], _SHORT)} 开放。{_when(e)}",
    "closed": lambda e, n: f"签到已结束（截止 {fmt_local(checkin_window(e)[1], _SHORT)}）。{_when(e)}",
    "cancelled": lambda e, n: f"本场活动已取消。{_when(e)}",
    "not_published": lambda e, n: "本场活动尚未发布，暂不能签到。",
    "not_checked_in": lambda e, n: f"{n} 尚未签到，不能签退。",
    "checkout_disabled": lambda e, n: "本场活动不需要签退。",
    "forbidden": lambda e, n: "您无权为该活动签到。",
    "scan_id_conflict": lambda e, n: "扫码编号与其他活动冲突，请重新扫码。",
}


def _message(event: Event, result: ScanResult, name: str, first_time: str | None, minutes: int | None) -> str:
    outcome = result.outcome
    if outcome == Outcome.SUCCESS:
        return f"{name}，签到成功"
    if outcome == Outcome.ALREADY:
        return f"{name} 已于 {first_time} 签到，不重复计数" if first_time else f"{name} 已签到，不重复计数"
    if outcome == Outcome.CHECKED_OUT:
        return f"{name}，签退成功（在场 {minutes} 分钟）" if minutes is not None else f"{name}，签退成功"
    if outcome == Outcome.ALREADY_OUT:
        return f"{name} 已于 {first_time} 签退" if first_time else f"{name} 已签退"
    wording = _REFUSALS.get(result.code)
    return wording(event, name or "此人") if wording else ("无法签到，请核对后重试。" if outcome == Outcome.REFUSED
                                                       else "无法签退，请核对后重试。")


def _minutes(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, int((end - start).total_seconds() // 60))


def scan_answer(event: Event, result: ScanResult, *, viewer: User | None = None) -> dict[str, Any]:
    """Return the JSON answer of one scan result (the shape docs/scanner-api.md describes).

    Staff who may edit the person (see may_edit_participant) see the stored details; others see the
    details as given at this check-in, so a walk-in typed elsewhere reveals nothing another street stored.
    """
    answer: dict[str, Any] = {"ok": result.outcome.ok, "outcome": result.outcome.value,
                              "title": TITLES[result.outcome], "code": result.code}
    known = result.check_in if result.check_in is not None and result.check_in.id == result.check_in_id else None
    participant = (known.participant if known is not None and known.participant_id == result.participant_id
                   else db.session.get(Participant, result.participant_id) if result.participant_id else None)
    # A check-in shows the details as given at this event: a walk-in typed by staff of another street
    # must not reveal the name and workplace the person's own street stored.
    record = known or (db.session.get(CheckIn, result.check_in_id) if result.check_in_id is not None else None)
    if participant is not None and may_edit_participant(viewer, participant):
        record = None  # the viewer may see (and correct) the stored details
    name = record.shown_name if record is not None else (participant.name if participant is not None else "")
    if participant is not None:
        workplace = record.shown_workplace if record is not None else participant.workplace
        answer.update(participant_id=participant.id, name=name, phone=mask_phone(participant.phone),
                      workplace=workplace)
    first_time: str | None = None
    if result.check_in_id is not None and result.checked_in_at is not None:
        answer.update(
            check_in_id=result.check_in_id,
            checked_in_at=fmt_local(result.checked_in_at, _FULL),
            checked_out_at=fmt_local(result.checked_out_at, _FULL) if result.checked_out_at else None,
            duration_minutes=_minutes(result.checked_in_at, result.checked_out_at),
        )
        if result.outcome == Outcome.ALREADY:
            first_time = fmt_local(result.checked_in_at, _SHORT)
        elif result.outcome == Outcome.ALREADY_OUT and result.checked_out_at is not None:
            first_time = fmt_local(result.checked_out_at, _SHORT)
        if first_time:
            answer["first_time"] = first_time
    answer["message"] = _message(event, result, name, first_time,
                                 _minutes(result.checked_in_at, result.checked_out_at))
    answer.update(client_scan_id=result.client_scan_id, replayed=result.replayed)
    return answer


def bad_scan_answer(message: str, client_scan_id: str = "") -> dict[str, Any]:
    """Return the answer of a malformed scan inside a batch (refused, not stored)."""
    return {"ok": False, "outcome": Outcome.REFUSED.value, "title": TITLES[Outcome.REFUSED], "code": "bad_scan",
            "message": message, "client_scan_id": client_scan_id, "replayed": False}
