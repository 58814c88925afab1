"""What counted events and approved reported figures achieved, and one target measured against it.

Plain data filled by the grouped queries in progress/queries.py and progress/reported.py; the
rules of which figure a target reads (value_for) live here, next to the figures.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from eventsvc.core.figures import Number
from eventsvc.programs.models import (
    ATTENDANCES,
    KIND_AMOUNT,
    KIND_RATE,
    KIND_REPORTED,
    PARTICIPANTS,
    SESSIONS,
    SRC_CHECKIN,
    SRC_ONLINE,
    SRC_ONSITE,
    SRC_STATION,
    Target,
)


def _round2(value: float) -> Number:
    """Keep sums of two-decimal figures free of float noise (0.1 + 0.2)."""
    rounded = round(float(value), 2)
    return int(rounded) if rounded == int(rounded) else rounded


@dataclass
class Totals:
    """What a set of counted events and approved figures achieved.

    attendances (人次) = checkins (扫码签到) + onsite (现场填报) + online (线上); participants (人)
    counts named check-ins only. `reported` holds approved figures by label, `pending` those still
    waiting for review; `rates` holds approved (numerator, denominator) sums by label.
    """

    sessions: int = 0
    attendances: int = 0
    participants: int = 0
    sessions_by_level: dict[str, int] = field(default_factory=dict)
    quantities: dict[str, Number] = field(default_factory=dict)
    checkins: int = 0
    onsite: int = 0
    online: int = 0
    stations: int = 0  # station visits (驿站服务), see progress/stations.py
    # Sessions to take away when a target counts each series as one 项: by level, "" for all levels.
    series_collapse: dict[str, int] = field(default_factory=dict)
    reported: dict[str, Number] = field(default_factory=dict)
    pending: dict[str, Number] = field(default_factory=dict)
    pending_count: dict[str, int] = field(default_factory=dict)
    rates: dict[str, tuple[Number, Number]] = field(default_factory=dict)

    def add_attendance(self, checkins: int = 0, onsite: int = 0, online: int = 0, stations: int = 0) -> None:
        """Add to the parts of 人次 and keep their sum in `attendances`."""
        self.checkins += int(checkins or 0)
        self.onsite += int(onsite or 0)
        self.online += int(online or 0)
        self.stations += int(stations or 0)
        self.attendances = self.checkins + self.onsite + self.online + self.stations

    def attendance_for(self, sources: tuple[str, ...]) -> int:
        """Return 人次 counting only the named parts."""
        parts = {SRC_CHECKIN: self.checkins, SRC_ONSITE: self.onsite, SRC_ONLINE: self.online,
                 SRC_STATION: self.stations}
        return sum(parts[s] for s in sources if s in parts)

    def rate_parts(self, label: str) -> tuple[Number, Number]:
        """Return the approved (numerator, denominator) sums of a rate."""
        return self.rates.get(label, (0, 0))

    def rate(self, label: str) -> float:
        """Return the weighted rate in percent, one decimal: Σ numerators / Σ denominators."""
        num, den = self.rate_parts(label)
        return round(100.0 * float(num) / float(den), 1) if den else 0.0

    def value_for(self, target: Target) -> Number:
        """Return the achieved figure a target is measured against."""
        if target.kind == KIND_RATE:
            return self.rate(target.label)
        if target.kind == KIND_REPORTED:
            return self.reported.get(target.label, 0)
        if target.kind == KIND_AMOUNT:  # handed out at events, plus what units reported
            return _round2(self.quantities.get(target.label, 0) + self.reported.get(target.label, 0))
        if target.metric == SESSIONS:
            held = self.sessions_by_level.get(target.level, 0) if target.level else self.sessions
            return held - self.series_collapse.get(target.level or "", 0) if target.series_as_one else held
        if target.metric == ATTENDANCES:
            return self.attendance_for(target.sources)
        if target.metric == PARTICIPANTS:
            return self.participants
        return self.quantities.get(target.label, 0)


@dataclass
class TargetProgress:
    """One target against what was achieved; `source` is the Totals it was read from (composition)."""

    target: Target
    done: Number
    source: Totals = field(default_factory=Totals)

    @property
    def goal(self) -> Number:
        return self.target.value

    @property
    def percent(self) -> float:
        return round(100.0 * float(self.done) / float(self.goal), 1) if self.goal else 0.0

    @property
    def bar_percent(self) -> float:
        return min(100.0, self.percent)

    @property
    def remaining(self) -> Number:
        return _round2(max(0.0, float(self.goal) - float(self.done)))

    @property
    def is_met(self) -> bool:
        return float(self.done) >= float(self.goal)

    @property
    def rate_parts(self) -> tuple[Number, Number]:
        return self.source.rate_parts(self.target.label)

    @property
    def pending(self) -> Number:
        """Figures of this target's measure still waiting for review (not counted)."""
        return self.source.pending.get(self.target.label, 0)

    @property
    def pending_count(self) -> int:
        return self.source.pending_count.get(self.target.label, 0)


def measure(target: Target, totals: Totals) -> TargetProgress:
    """Pair a target with what `totals` achieved."""
    return TargetProgress(target, totals.value_for(target), totals)
