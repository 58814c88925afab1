"""A person's own data, gathered for an access request: as a dict (JSON) or an xlsx workbook."""
from __future__ import annotations

import io
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from eventsvc.checkin.models import METHOD_LABELS, REG_STATUS_LABELS, CheckIn, Participant, Registration
from eventsvc.core.timeutil import fmt_local
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.notices.models import Notice
from eventsvc.stations.models import VISIT_METHOD_LABELS, StationVisit


def _when(value: Any) -> str:
    return fmt_local(value, "%Y-%m-%d %H:%M") if value else ""


def person_data(person: Participant) -> dict[str, Any]:
    """Return everything stored about the person: details, check-ins, registrations, station visits, SMS."""
    check_ins = db.session.scalars(
        select(CheckIn).where(CheckIn.participant_id == person.id)
        .options(joinedload(CheckIn.event).joinedload(Event.organization)).order_by(CheckIn.checked_in_at)
    ).all()
    registrations = db.session.scalars(
        select(Registration).where(Registration.participant_id == person.id).order_by(Registration.created_at)
    ).all()
    visits = db.session.scalars(
        select(StationVisit).where(StationVisit.participant_id == person.id)
        .options(joinedload(StationVisit.station)).order_by(StationVisit.visited_at)
    ).all()
    notices = db.session.scalars(
        select(Notice).where(Notice.phone == person.phone).options(joinedload(Notice.event)).order_by(Notice.id)
    ).all()
    return {
        "participant": {
            "name": person.name, "phone": person.phone, "workplace": person.workplace, "group": person.group,
            "first_recorded": _when(person.created_at), "anonymized_at": _when(person.anonymized_at),
        },
        "check_ins": [{
            "event": c.event.title, "organizer": c.event.organization.name, "starts_at": _when(c.event.starts_at),
            "checked_in_at": _when(c.checked_in_at), "checked_out_at": _when(c.checked_out_at),
            "method": METHOD_LABELS.get(c.method, c.method), "name_given": c.name_given,
            "workplace_given": c.workplace_given,
        } for c in check_ins],
        "registrations": [{
            "event": r.event.title, "status": REG_STATUS_LABELS.get(r.status, r.status),
            "registered_at": _when(r.created_at), "cancelled_at": _when(r.cancelled_at),
        } for r in registrations],
        "station_visits": [{
            "station": v.station.name, "visited_at": _when(v.visited_at), "services": v.services_used,
            "method": VISIT_METHOD_LABELS.get(v.method, v.method), "name_given": v.name_given,
        } for v in visits],
        "notices": [{
            "event": n.event.title, "message": n.template_label, "state": n.state_label,
            "created_at": _when(n.created_at), "sent_at": _when(n.sent_at),
        } for n in notices],
    }


def person_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode()


def _cell(value: Any) -> Any:
    """Neutralize text a spreadsheet would run as a formula (= + - @)."""
    return "'" + value if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") else value


def person_xlsx(data: dict[str, Any]) -> bytes:
    """Build a workbook: 个人信息, 签到记录, 报名记录, 驿站到访, 短信通知."""
    from openpyxl import Workbook  # here, not at module level: workers that never export need not load it

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "个人信息"
    labels = {"name": "姓名", "phone": "手机号", "workplace": "单位", "group": "人群类别",
              "first_recorded": "首次记录", "anonymized_at": "匿名化时间"}
    for key, label in labels.items():
        sheet.append([label, _cell(data["participant"][key])])
    for title, key, headers in (
        ("签到记录", "check_ins", {"event": "活动", "organizer": "主办单位", "starts_at": "活动时间",
                                 "checked_in_at": "签到时间", "checked_out_at": "签退时间", "method": "方式",
                                 "name_given": "登记姓名", "workplace_given": "登记单位"}),
        ("报名记录", "registrations", {"event": "活动", "status": "状态", "registered_at": "报名时间",
                                    "cancelled_at": "取消时间"}),
        ("驿站到访", "station_visits", {"station": "驿站", "visited_at": "到访时间", "services": "服务",
                                     "method": "方式", "name_given": "登记姓名"}),
        ("短信通知", "notices", {"event": "活动", "message": "内容", "state": "状态", "created_at": "生成时间",
                              "sent_at": "发送时间"}),
    ):
        ws = book.create_sheet(title)
        ws.append(list(headers.values()))
        for row in data[key]:
            ws.append([_cell(row[k]) for k in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
