"""Plain data the report builders take: queries fill them, builders turn them into bytes."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from eventsvc.progress.queries import Totals  # plain data: what counted events achieved


@dataclass
class EventHeader:
    """What a roster or poster prints about its event (times are naive UTC)."""

    program: str
    title: str
    starts_at: datetime
    ends_at: datetime
    venue: str
    organizer: str
    level: str = ""
    status_label: str = ""
    checkout_enabled: bool = False  # rosters add 签退 columns only for events that record leaving


@dataclass
class RosterRow:
    """One checked-in person on a roster or export (phone is the full normalized number)."""

    name: str
    phone: str
    workplace: str
    group: str
    checked_in_at: datetime
    method_label: str = ""
    checked_out_at: datetime | None = None

    @property
    def duration_minutes(self) -> int | None:
        """Whole minutes between check-in and check-out, as CheckIn.duration_minutes counts them."""
        if self.checked_out_at is None:
            return None
        return max(0, int((self.checked_out_at - self.checked_in_at).total_seconds() // 60))


@dataclass
class TargetLine:
    """One target against what was achieved, ready to print."""

    scope: str  # "全区" or the organization whose share it is
    metric: str  # 场次 / 人次 / 人数 / 清凉礼包 …
    unit: str
    goal: int | float
    done: int | float
    note: str = ""  # where the figure comes from: 人次 parts, a rate's numbers, 已审核 / 待审核

    @property
    def percent(self) -> float:
        return round(100.0 * self.done / self.goal, 1) if self.goal else 0.0

    @property
    def remaining(self) -> int | float:
        return max(0, round(self.goal - self.done, 2))



@dataclass
class LedgerEvent:
    """One event line of a ledger."""

    starts_at: datetime
    title: str
    organizer: str
    venue: str
    level: str
    attendances: int
    status_label: str = ""
    cancel_reason: str = ""
    event_id: int = 0
    participants: int = 0  # 人数: named check-ins
    quantities: dict[str, int | float] = field(default_factory=dict)  # label → amount (份/个/万元)
    checkins: int = 0  # the parts of 人次 (issue 10 §3): 扫码签到 + 现场填报 + 线上
    onsite: int = 0
    online: int = 0


@dataclass
class OrgBar:
    """One bar of the progress-by-organization chart."""

    label: str
    value: float
    caption: str = ""


@dataclass
class LedgerData:
    """Everything a program ledger prints."""

    program: str
    year: int
    owner: str
    scope_label: str
    achieved: Totals
    targets: list[TargetLine] = field(default_factory=list)
    bars: list[OrgBar] = field(default_factory=list)
    bar_title: str = ""
    bar_is_percent: bool = False
    events: list[LedgerEvent] = field(default_factory=list)
    cancelled: list[LedgerEvent] = field(default_factory=list)
    plan_item: str = ""
    category: str = ""
    lead_departments: str = ""
    starts_on: date | None = None
    ends_on: date | None = None
    drafts: int = 0
    pending: int = 0  # check-ins held for review (待核实): stored, not counted until confirmed
    planned: list[LedgerEvent] = field(default_factory=list)  # published, not yet held (计划中)
    units: dict[str, str] = field(default_factory=dict)  # quantity label → unit
    compiler: str = ""  # 编制单位: the downloading user's unit


@dataclass
class YearProgram:
    """One program's line in the year overview."""

    name: str
    plan_item: str
    lead: str
    achieved: Totals
    targets: list[TargetLine] = field(default_factory=list)


@dataclass
class YearOverview:
    """Every program of a year with its progress, for the monthly report upward."""

    year: int
    scope_label: str
    programs: list[YearProgram] = field(default_factory=list)
    compiler: str = ""  # the downloading user's unit, named in the page footer


@dataclass
class ProgramCheckIn:
    """A check-in line of a program's spreadsheet: the event it belongs to and the person."""

    event_starts_at: datetime
    event_title: str
    organizer: str
    person: RosterRow


MAX_PHOTOS = 6  # photos on a brief (活动简报) or a station's evidence page


@dataclass(frozen=True)
class BriefPhoto:
    """A photo for the grid: JPEG (or any Pillow-readable) bytes and the caption printed under it."""

    data: bytes
    caption: str = ""


@dataclass(frozen=True)
class EventBrief:
    """Everything a brief prints; `figures` are (label, value) lines, e.g. ("清凉礼包", "300 份")."""

    title: str
    starts_at: datetime
    ends_at: datetime
    place: str = ""
    organizer: str = ""
    co_organizers: str = ""
    program: str = ""
    level: str = ""
    status_label: str = ""
    figures: Sequence[tuple[str, str]] = ()
    summary: str = ""
    photos: Sequence[BriefPhoto] = field(default_factory=tuple)
