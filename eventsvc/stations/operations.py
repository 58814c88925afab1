"""State changes for stations: create/edit, the program per year, visits (once a day), bulk services.

One rule is kept here: a person counts at most once per station per local day. The unique constraint on
(station, participant, visit_date) guarantees it; a repeat is answered from a read, and a lost race (two
submits at once) becomes the same "今天已登记" answer instead of an error.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from eventsvc.audit.operations import changes_since, person_label, snapshot
from eventsvc.audit.operations import record as audit
from eventsvc.checkin.models import Participant
from eventsvc.checkin.operations import Source, upsert_participant
from eventsvc.core.exceptions import OperationError
from eventsvc.core.permissions import can_check_in_at, can_manage_org
from eventsvc.core.timeutil import LOCAL_OFFSET, utcnow
from eventsvc.core.tokens import random_code
from eventsvc.db import savepoint
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization, User
from eventsvc.programs.models import Program
from eventsvc.stations.models import (
    STATION_KINDS,
    VISIT_SELF,
    VISIT_STAFF,
    Station,
    StationProgram,
    StationSupply,
    StationVisit,
)

EDITABLE_FIELDS = ("name", "kind", "address", "opening_hours", "services", "is_active")
_LIMITS = {"name": 120, "address": 200, "opening_hours": 100, "services": 2000}
MAX_SERVICES = 30
MAX_SUPPLY = 1_000_000


def local_day(at: datetime | None = None) -> date:
    """Return the China-time day of a UTC moment: a visit's day changes at local midnight."""
    return ((at or utcnow()) + LOCAL_OFFSET).date()


def _check_manager(by: User | None, org: Organization) -> None:
    if by is not None and not can_manage_org(by, org):
        raise OperationError("您无权管理该单位的服务阵地", code="forbidden")


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in values.items() if k in EDITABLE_FIELDS}
    for key in ("name", "kind", "address", "opening_hours"):
        if key in data:
            data[key] = (data[key] or "").strip()
    if "services" in data:
        raw = data["services"]
        items = raw.splitlines() if isinstance(raw, str) else list(raw)
        seen: list[str] = []
        for item in (str(i).strip().replace(",", "，")[:20] for i in items):
            if item and item not in seen:
                seen.append(item)
        if len(seen) > MAX_SERVICES:
            raise OperationError(f"服务项目最多 {MAX_SERVICES} 项", field="services")
        data["services"] = "\n".join(seen)
    return data


def _validate(station: Station) -> None:
    if not station.name:
        raise OperationError("请填写阵地名称", field="name")
    if station.kind not in STATION_KINDS:
        raise OperationError("阵地类型无效", field="kind")
    for field, limit in _LIMITS.items():
        if len(getattr(station, field) or "") > limit:
            raise OperationError(f"最多 {limit} 字", field=field)


def _new_code() -> str:
    while True:
        code = random_code()
        if db.session.scalar(select(Station.id).where(Station.code == code)) is None:
            return code


def create_station(organization: Organization, *, by: User | None, **values: Any) -> Station:
    """Create a station run by `organization`, with its permanent random code."""
    _check_manager(by, organization)
    station = Station(organization=organization, code=_new_code(), kind="暖蜂驿站", address="", opening_hours="",
                      services="", is_active=True, created_by_id=by.id if by else None)
    for key, value in _clean(values).items():
        setattr(station, key, value)
    _validate(station)
    db.session.add(station)
    db.session.flush()
    audit(by, "station.create", station, summary=f"创建服务阵地“{station.name}”")
    return station


def update_station(station: Station, *, by: User | None, **values: Any) -> Station:
    """Change a station's details and services list (the code never changes: posters stay valid)."""
    _check_manager(by, station.organization)
    before = snapshot(station, EDITABLE_FIELDS)
    for key, value in _clean(values).items():
        setattr(station, key, value)
    _validate(station)
    changes = changes_since(before, station)
    if changes:
        audit(by, "station.update", station, summary=f"修改服务阵地“{station.name}”", changes=changes)
    db.session.flush()
    return station


def set_station_program(station: Station, year: int, program: Program | None, *, by: User | None) -> None:
    """Choose the program the station's visits of `year` count toward (None: they count toward none)."""
    _check_manager(by, station.organization)
    if program is not None and program.year != year:
        raise OperationError("只能计入同一年度的项目", field="program_id")
    current = next((sp for sp in station.programs if sp.year == year), None)
    before = current.program.name if current is not None else ""
    if program is None:
        if current is not None:
            station.programs.remove(current)
    elif current is None:
        station.programs.append(StationProgram(year=year, program=program))
    else:
        current.program = program
    after = program.name if program is not None else ""
    if before != after:
        audit(by, "station.program", station, summary=f"服务阵地“{station.name}”{year} 年计入项目：{after or '（无）'}",
              changes={"program": [before, after], "year": year})
    db.session.flush()


@dataclass
class VisitResult:
    visit: StationVisit
    created: bool  # False: the person had already been recorded today (nothing was written)


def visit_today(station: Station, participant: Participant, day: date) -> StationVisit | None:
    """Return the person's visit at the station on `day`, if any."""
    return db.session.scalar(select(StationVisit).where(
        StationVisit.station_id == station.id, StationVisit.participant_id == participant.id,
        StationVisit.visit_date == day))


def _services(station: Station, used: Sequence[str]) -> str:
    offered = station.service_list
    return ",".join(s for s in offered if s in set(used))[:300]


def record_visit(station: Station, participant: Participant, *, by: User | None, at: datetime | None = None,
                 services: Sequence[str] = (), given: Mapping[str, str] | None = None,
                 source: Source | None = None) -> VisitResult:
    """Record one person at the station today; a repeat the same day returns the first and writes nothing."""
    if not station.is_active:
        raise OperationError("该服务阵地已停用，暂不能登记。", code="inactive")
    if by is not None and not can_check_in_at(by, station.organization):
        raise OperationError("您无权为该服务阵地登记", code="forbidden")
    at = at or utcnow()
    day = local_day(at)
    existing = visit_today(station, participant, day)
    if existing is not None:
        return VisitResult(existing, created=False)
    visit = StationVisit(
        station_id=station.id, participant_id=participant.id, visit_date=day, visited_at=at,
        method=VISIT_STAFF if by is not None else VISIT_SELF, services_used=_services(station, services),
        name_given=(given or {}).get("name", "")[:40], device_hash=(source.device_hash[:32] if source else ""),
        by_user_id=by.id if by else None)
    try:
        with savepoint(db.session()):
            db.session.add(visit)
    except IntegrityError:
        # A concurrent submit of the same person won: answer "already" like a repeat.
        existing = visit_today(station, participant, day)
        if existing is None:
            raise
        return VisitResult(existing, created=False)
    if by is not None:  # a worker's own visit is its row; staff entries are audited
        audit(by, "station.visit", visit, organization=station.organization,
              summary=f"代登记驿站服务：{person_label(participant)}（{station.name}）",
              changes={"participant_id": participant.id, "visit_date": day})
    return VisitResult(visit, created=True)


def log_visit_for(station: Station, details: Mapping[str, str], *, by: User,
                  services: Sequence[str] = (), at: datetime | None = None) -> VisitResult:
    """Staff record a visit for someone without a phone at hand (details typed by staff)."""
    if not can_check_in_at(by, station.organization):
        raise OperationError("您无权为该服务阵地登记", code="forbidden")
    person = upsert_participant(details.get("name", ""), details.get("phone", ""), details.get("workplace", ""),
                                details.get("group", ""), by=by, organization=station.organization)
    return record_visit(station, person, by=by, at=at, services=services, given=details)


def record_supply(station: Station, *, by: User, label: str, quantity: int, unit: str = "", note: str = "",
                  day: date | None = None) -> StationSupply:
    """Record services given in bulk on a day, without names (今日发放饮用水 120 瓶)."""
    if not can_check_in_at(by, station.organization):
        raise OperationError("您无权为该服务阵地登记", code="forbidden")
    label, unit, note = (label or "").strip(), (unit or "").strip(), (note or "").strip()
    if not label or len(label) > 40:
        raise OperationError("请填写服务内容（40 字以内）", field="label")
    if len(unit) > 10 or len(note) > 200:
        raise OperationError("单位最多 10 字，备注最多 200 字", field="unit")
    if not isinstance(quantity, int) or not 0 < quantity <= MAX_SUPPLY:
        raise OperationError("数量应为 1 到 1000000 之间的整数", field="quantity")
    supply = StationSupply(station_id=station.id, supply_date=day or local_day(), label=label, quantity=quantity,
                           unit=unit, note=note, by_user_id=by.id)
    db.session.add(supply)
    db.session.flush()
    audit(by, "station.supply", supply, organization=station.organization,
          summary=f"{station.name}：{label} {quantity} {unit}".strip())
    return supply
