"""Chinese names of the fields edit summaries mention (the `changes` keep the field names)."""
from __future__ import annotations

from collections.abc import Iterable

FIELD_LABELS = {
    # events
    "title": "名称", "description": "简介", "level": "级别", "kind": "类型", "starts_at": "开始时间",
    "ends_at": "结束时间", "venue_name": "地点", "venue_address": "地址", "capacity": "人数上限",
    "target_groups": "面向人群", "checkin_opens_at": "签到开始", "checkin_closes_at": "签到截止",
    "registration_mode": "报名", "registration_opens_at": "报名开始", "registration_closes_at": "报名截止",
    "registration_capacity": "报名名额", "waitlist_enabled": "候补", "requires_registration": "凭报名签到",
    "qr_mode": "二维码模式", "checkout_enabled": "签退", "expected_attendance": "预计人数", "organization": "主办单位",
    # programs
    "year": "年度", "name": "名称", "category": "类别", "plan_item": "工作要点条目", "starts_on": "开始日期",
    "ends_on": "结束日期", "lead_departments": "牵头部室", "participating_orgs": "参与单位",
}


def field_names(fields: Iterable[str]) -> str:
    """List changed fields for a summary: 名称、地点."""
    return "、".join(FIELD_LABELS.get(f, f) for f in fields)
