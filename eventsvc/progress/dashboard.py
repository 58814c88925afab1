"""Figures for the dashboard and the program pages, scoped to one user.

Every function here issues a fixed number of grouped queries, however many programs, targets or
organizations it covers: the pages built on them must not grow one query per row.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from eventsvc.core.built import built, given, param
from eventsvc.core.scope import get_in_scope_or_404
from eventsvc.core.timeutil import local_year, utcnow
from eventsvc.events.models import PUBLISHED, Event
from eventsvc.events.queries import events_within
from eventsvc.extensions import db
from eventsvc.orgs.models import DEPARTMENT, Organization, User
from eventsvc.orgs.queries import children_of, scope_root
from eventsvc.programs.models import Program, Target
from eventsvc.programs.queries import can_see_program, programs_visible_within
from eventsvc.progress.queries import (
    TargetProgress,
    Totals,
    custom_labels,
    measure,
    totals_by_program,
    totals_by_subtree,
)
from eventsvc.progress.timeline import Schedule, schedule, today_local


@dataclass
class ProgramProgress:
    """A program with what the user's scope achieved against its targets."""

    program: Program
    totals: Totals
    overall: list[TargetProgress]
    shares: list[TargetProgress] = field(default_factory=list)
    schedule: Schedule | None = None  # 时间进度 beside 完成 (issue 10 §5)


@dataclass
class OrgRow:
    """One organization's rolled-up figures, with progress against its share targets if any."""

    org: Organization
    totals: Totals
    shares: list[TargetProgress] = field(default_factory=list)


def visible_years(user: User) -> list[int]:
    """Return the years that have programs the user may see, newest first."""
    scoped = bool(user.scope_path)
    stmt = built(("visible_years", scoped), lambda: (
        programs_visible_within(param("scope_path", Organization.path) if scoped else "")
        .with_only_columns(Program.year)
        .distinct()
        .order_by(None)
        .order_by(Program.year.desc())
    ))
    return list(db.session.scalars(stmt, given(scope_path=user.scope_path)))


def pick_year(user: User, raw: str | None) -> tuple[int, list[int]]:
    """Return (year to show, selectable years): the requested year, else this year, else the latest."""
    years = visible_years(user)
    current = local_year()
    try:
        requested = int(raw) if raw else None
    except ValueError:
        requested = None
    if requested is not None and 2000 <= requested <= 2100:
        year = requested
    elif current in years or not years:
        year = current
    else:
        year = years[0]
    choices = sorted(set(years) | {current, year}, reverse=True)
    return year, choices


def in_plan_order(stmt: Select[Program]) -> Select[Program]:
    """Order programs by year, then plan item as a number (2 before 11), unnumbered last."""
    return stmt.order_by(None).order_by(
        Program.year.desc(),
        case((Program.plan_item == "", 1), else_=0),
        func.length(Program.plan_item),
        Program.plan_item,
        Program.name,
        Program.id,
    )


def with_targets(stmt: Select[Program]) -> Select[Program]:
    """Add eager loads so listing programs with their targets costs a fixed number of queries."""
    return stmt.options(
        contains_eager(Program.organization),
        selectinload(Program.targets).selectinload(Target.organization),
        selectinload(Program.lead_departments),
    )


def visible_programs(user: User, year: int, category: str = "") -> list[Program]:
    """Return every program of the year the user may see, targets loaded."""
    scoped = bool(user.scope_path)

    def make() -> Select[Program]:
        stmt = programs_visible_within(param("scope_path", Organization.path) if scoped else "",
                                       param("year", Program.year))
        if category:
            stmt = stmt.where(Program.category == param("category", Program.category))
        return with_targets(in_plan_order(stmt))

    stmt = built(("visible_programs", scoped, bool(category)), make)
    return list(db.session.scalars(stmt, given(scope_path=user.scope_path, year=year, category=category)))


def programs_progress(
    user: User, programs: Sequence[Program], *, share_filter: Callable[[Target], bool] | None = None
) -> dict[int, ProgramProgress]:
    """Pair each program's targets with what the user's scope achieved.

    Overall targets count the events within the user's scope (a street sees its own contribution);
    share targets that pass `share_filter` count their organization's subtree.
    """
    ids = [p.id for p in programs]
    today = today_local()
    totals = totals_by_program(ids, scope_path=user.scope_path)
    shares = [t for p in programs for t in p.share_targets if share_filter is not None and share_filter(t)]
    by_org: dict = {}
    if shares:
        by_org = totals_by_subtree(
            sorted({t.organization_id for t in shares if t.organization_id is not None}),
            program_ids=sorted({t.program_id for t in shares}),
            by_program=True,
        )
    result: dict[int, ProgramProgress] = {}
    for program in programs:
        own = totals[program.id]
        overall = [measure(t, own) for t in program.overall_targets]
        share_rows = [
            measure(t, by_org.get((t.organization_id, program.id), Totals()))
            for t in program.share_targets
            if share_filter is not None and share_filter(t)
        ]
        result[program.id] = ProgramProgress(program, own, overall, share_rows,
                                             schedule(program, overall + share_rows, today))
    return result


def org_rollup(
    user: User,
    *,
    year: int | None = None,
    program: Program | None = None,
) -> tuple[Organization, list[OrgRow], Totals]:
    """Return the user's scope root, a row per child organization, and the root's own total."""
    root = scope_root(user)
    children = children_of(root)
    ids = [c.id for c in children] + [root.id]
    totals = totals_by_subtree(
        ids, year=year, program_ids=[program.id] if program is not None else None
    )
    shares_by_org: dict[int, list[Target]] = {}
    if program is not None:
        for target in program.share_targets:
            shares_by_org.setdefault(target.organization_id or 0, []).append(target)
    rows = []
    for child in children:
        child_totals = totals.get(child.id, Totals())
        shares = [measure(t, child_totals) for t in shares_by_org.get(child.id, [])]
        # Departments rarely organize events themselves: list them only when they did.
        if child.kind == DEPARTMENT and not (child_totals.sessions or child_totals.attendances or shares):
            continue
        rows.append(OrgRow(child, child_totals, shares))
    return root, rows, totals.get(root.id, Totals())


def quantity_labels(program: Program, rows: Sequence[OrgRow], total: Totals) -> list[str]:
    """Return the custom units to show as columns: the program's custom targets, then any recorded."""
    labels = custom_labels(program.targets)
    for totals in [total, *(r.totals for r in rows)]:
        for label in totals.quantities:
            if label not in labels:
                labels.append(label)
    return labels


def ongoing_events(user: User, limit: int = 8, now: datetime | None = None) -> tuple[int, list[Event]]:
    """Return how many published events in scope are under way now, and the first few of them."""
    scoped = bool(user.scope_path)

    def make() -> Any:
        at = param("now", Event.starts_at)
        stmt = events_within(param("scope_path", Organization.path) if scoped else "").where(
            Event.status == PUBLISHED, Event.starts_at <= at, Event.ends_at >= at)
        # One pass over the events: the window count sees every match before LIMIT keeps the first few.
        return (stmt.add_columns(func.count().over())
                .options(contains_eager(Event.organization), joinedload(Event.program))
                .order_by(Event.starts_at, Event.id)
                .limit(limit))

    stmt = built(("ongoing_events", scoped, limit), make)
    rows = db.session.execute(stmt, given(scope_path=user.scope_path, now=now or utcnow())).all()
    return (rows[0][1] if rows else 0), [row[0] for row in rows]


def event_phase(event: Event, now: datetime | None = None) -> str:
    """Return 未开始 / 进行中 / 已结束 for a published event, else its status label."""
    if event.status != PUBLISHED:
        return event.status_label
    now = now or utcnow()
    if event.starts_at > now:
        return "未开始"
    return "进行中" if event.ends_at >= now else "已结束"


def load_program(user: User, program_id: int) -> Program:
    """Return a program the user may see, with targets, their organizations and leads loaded; else 404."""
    get_in_scope_or_404(Program, program_id, user, visible=partial(can_see_program, user))
    stmt = with_targets(select(Program).join(Program.organization).where(Program.id == program_id))
    return db.session.scalars(stmt.execution_options(populate_existing=True)).one()
