"""The dashboard's year-on-year chart: this year's cumulative 场次 and 人次 by month against last year's.

Drawn server-side as SVG geometry (no chart library, no inline style or script: the CSP forbids them).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from eventsvc.orgs.models import User
from eventsvc.progress.periods import cumulative_by_months

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 32


@dataclass
class Line:
    """One polyline of the chart and the figure at its last point."""

    label: str
    css: str  # class name: colours live in the stylesheet
    points: str
    last: int | None


@dataclass
class Panel:
    """One chart (场次 or 人次): two lines, y-axis ticks and month labels."""

    title: str
    lines: list[Line]
    ticks: list[tuple[float, str]] = field(default_factory=list)  # (y, label)
    months: list[tuple[float, str]] = field(default_factory=list)  # (x, label)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    bottom_edge: int = HEIGHT - BOTTOM


def _nice_top(value: int) -> int:
    """Round the axis top up to 1, 2 or 5 × a power of ten."""
    top, step = max(1, value), 1
    while True:
        for m in (1, 2, 5):
            if m * step >= top:
                return m * step
        step *= 10


def _x(month: int) -> float:
    return LEFT + (WIDTH - LEFT - RIGHT) * month / 11


def _y(value: int, top: int) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / top)


def _panel(title: str, now: list[int | None], before: list[int | None], year: int) -> Panel:
    top = _nice_top(max([v for v in now + before if v is not None] or [1]))

    def line(label: str, css: str, values: list[int | None]) -> Line:
        pts = [(m, v) for m, v in enumerate(values) if v is not None]
        return Line(label, css, " ".join(f"{_x(m):.1f},{_y(v, top):.1f}" for m, v in pts), pts[-1][1] if pts else None)

    panel = Panel(title, [line(f"{year} 年", "yoy-now", now), line(f"{year - 1} 年", "yoy-before", before)])
    panel.ticks = [(_y(top * k // 4, top), f"{top * k // 4:,}") for k in range(5)]
    panel.months = [(_x(m), f"{m + 1}月") for m in range(12)]
    return panel


def year_on_year(user: User, year: int) -> list[Panel]:
    """Return the two panels (场次, 人次) for the user's scope: `year` against the year before."""
    now, before = cumulative_by_months([year, year - 1], scope_path=user.scope_path)
    return [_panel("累计场次", now.sessions, before.sessions, year),
            _panel("累计人次", now.attendances, before.attendances, year)]
