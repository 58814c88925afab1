"""Rows for rosters, ledgers and exports: a few grouped queries per report, never one per event."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from eventsvc.checkin.models import METHOD_LABELS, CheckIn, Participant
from eventsvc.checkin.queries import counted_check_in
from eventsvc.core.figures import fmt_figure
from eventsvc.core.timeutil import utcnow
from eventsvc.events.models import CANCELLED, DRAFT, Event
from eventsvc.extensions import db
from eventsvc.orgs.models import DEPARTMENT, Organization, User
from eventsvc.orgs.queries import children_of, scope_root
from eventsvc.programs.models import (
    ATTENDANCES,
    CUSTOM,
    KIND_EVENTS,
    KIND_RATE,
    PARTICIPANTS,
    SESSIONS,
    Program,
    Target,
)
from eventsvc.programs.queries import programs_visible_to
from eventsvc.progress.periods import event_figures, quantity_units
from eventsvc.progress.queries import (
    TargetProgress,
    Totals,
    memberships,
    pending_by_program,
    target_progress,
    totals_by_program,
    totals_by_subtree,
)
from eventsvc.reports.records import (
    EventHeader,
    LedgerData,
    LedgerEvent,
    OrgBar,
    ProgramCheckIn,
    RosterRow,
    TargetLine,
    YearOverview,
    YearProgram,
)


def event_header(event: Event) -> EventHeader:
    """Return what rosters and posters print about an event."""
    venue = event.venue_name
    if event.venue_address:
        venue = f"{venue}（{event.venue_address}）" if venue else event.venue_address
    return EventHeader(
        program=event.program.name, title=event.title, starts_at=event.starts_at, ends_at=event.ends_at,
        venue=venue, organizer=event.organization.name, level=event.level, status_label=event.status_label,
        checkout_enabled=bool(event.checkout_enabled),
    )


def _given_name_workplace() -> tuple[Any, Any]:
    """The name and workplace as given at the event (CheckIn.shown_name/shown_workplace, in SQL): the
    participant's stored ones may come from another street's records (issue 8 §1)."""
    given = CheckIn.name_given != ""
    return (case((given, CheckIn.name_given), else_=Participant.name),
            case((given, CheckIn.workplace_given), else_=Participant.workplace))


def roster_select(event_id: int) -> Select[*tuple[Any, ...]]:
    """Return the statement for an event's roster lines, sorted by check-in time (see to_roster_row).

    Only counted check-ins: a 待核实 one is not on the roster until an organizer confirms it, so the
    roster's total equals the event's 人次 (issue 8 §2).
    """
    name, workplace = _given_name_workplace()
    stmt: Select[*tuple[Any, ...]] = (
        select(name, Participant.phone, workplace, Participant.group,
               CheckIn.checked_in_at, CheckIn.method, CheckIn.checked_out_at)
        .join(Participant, Participant.id == CheckIn.participant_id)
        .where(CheckIn.event_id == event_id, counted_check_in())
        .order_by(CheckIn.checked_in_at, CheckIn.id)
    )
    return stmt


def to_roster_row(line: Any) -> RosterRow:
    """Turn one result line of roster_select into a RosterRow."""
    name, phone, workplace, group, at, method, out = line
    return RosterRow(name, phone, workplace or "", group or "", at, METHOD_LABELS.get(method, method), out)


def roster_rows(event_id: int) -> list[RosterRow]:
    """Return an event's check-ins with the people, sorted by check-in time (one query)."""
    return [to_roster_row(line) for line in db.session.execute(roster_select(event_id))]


def _scope_label(user: User) -> str:
    return "全区" if not user.scope_path else user.organization.name


def _visible_targets(program: Program, user: User) -> list[Target]:
    """District users see every target; a street sees the shares of organizations in its subtree."""
    if not user.scope_path:
        return list(program.targets)
    return [t for t in program.share_targets if t.organization and t.organization.path.startswith(user.scope_path)]


def _target_lines(program: Program, targets: Sequence[Target], overall: Totals,
                  by_org: dict[Any, Totals]) -> list[TargetLine]:
    lines = []
    for p in target_progress(program, overall, by_org, visible=targets):
        t = p.target
        scope = t.organization.label if t.organization is not None else "全区"
        lines.append(TargetLine(scope, t.metric_label, t.unit_label, p.goal, p.done, _note(p)))
    return lines


def _note(p: TargetProgress) -> str:
    """Say where a target's figure comes from (issue 10 §2, §3): parts of 人次, a rate's numbers, review states."""
    t, src = p.target, p.source
    if t.metric == ATTENDANCES and t.kind == KIND_EVENTS:
        return f"扫码签到 {src.checkins} + 现场填报 {src.onsite} + 线上 {src.online}"
    if t.metric == PARTICIPANTS:
        return "仅实名签到"
    if t.kind == KIND_RATE:
        num, den = p.rate_parts
        return f"{fmt_figure(num)}/{fmt_figure(den)}；待审核 {p.pending_count} 条"
    if t.is_reported:
        return f"已审核 {fmt_figure(src.reported.get(t.label, 0))}；待审核 {fmt_figure(p.pending)}"
    return ""


_BAR_METRIC_ORDER = (SESSIONS, ATTENDANCES, PARTICIPANTS, CUSTOM)


def _bars(program: Program, user: User, shares: Sequence[Target], now: datetime
          ) -> tuple[list[OrgBar], str, bool, dict[Any, Totals]]:
    """Return the chart bars: completion of each organization's share, or sessions per child organization."""
    if shares:
        metric = next(m for m in _BAR_METRIC_ORDER if any(t.metric == m for t in shares))
        chosen: dict[int, Target] = {}
        share_org_ids = [t.organization_id for t in shares if t.organization_id is not None]
        for t in shares:
            if t.metric == metric and t.organization_id is not None and t.organization_id not in chosen:
                chosen[t.organization_id] = t
        by_org = totals_by_subtree(share_org_ids, program_ids=[program.id], now=now)
        bars = []
        for org_id, t in chosen.items():
            done = by_org.get(org_id, Totals()).value_for(t)
            label = t.organization.label if t.organization else ""  # shares always name their organization
            bars.append(OrgBar(label, 100.0 * done / t.value if t.value else 0.0))
        return bars, f"各单位完成率（{chosen[next(iter(chosen))].metric_label}）", True, by_org
    root = scope_root(user)
    kids = [c for c in children_of(root)]
    by_org = totals_by_subtree([root.id] + [c.id for c in kids], program_ids=[program.id], now=now)
    bars = [OrgBar(c.label, by_org[c.id].sessions) for c in kids
            if c.kind != DEPARTMENT or by_org[c.id].sessions]
    own = by_org[root.id].sessions - sum(by_org[c.id].sessions for c in kids)
    if own > 0:
        bars.insert(0, OrgBar(f"{root.label}本级", own))
    if not any(b.value for b in bars):
        return [], "", False, by_org
    return bars, "各单位开展场次（场）", False, by_org


def _scoped_events(program_id: int, scope_path: str) -> Any:
    # Events of the program, whether it is their primary program or an additional one (issue 10 §4).
    stmt = select(Event).where(Event.id.in_(select(memberships([program_id]).c.event_id)))
    if scope_path:
        org = aliased(Organization)
        stmt = stmt.join(org, org.id == Event.organization_id).where(org.path.startswith(scope_path))
    return stmt


def ledger_data(program: Program, user: User, *, now: datetime | None = None) -> LedgerData:
    """Collect a program's ledger, counting only events within the user's scope."""
    now = now or utcnow()
    scope = user.scope_path
    overall = totals_by_program([program.id], now=now, scope_path=scope)[program.id]
    targets = _visible_targets(program, user)
    shares = [t for t in targets if t.organization_id is not None]
    bars, bar_title, is_percent, by_org = _bars(program, user, shares, now)

    events = list(db.session.scalars(
        _scoped_events(program.id, scope).where(Event.status != DRAFT)
        .options(joinedload(Event.organization), joinedload(Event.co_organization))
        .order_by(Event.starts_at, Event.id)
    ))
    drafts = db.session.scalar(
        _scoped_events(program.id, scope).where(Event.status == DRAFT).with_only_columns(func.count(Event.id))
    ) or 0
    figures = event_figures([e.id for e in events])
    held, planned, cancelled = [], [], []
    for e in events:
        venue = e.venue_name or e.venue_address
        organizer = e.organization.name
        joint = "、".join(x for x in (e.co_organization.name if e.co_organization else "", e.co_organizers) if x)
        if joint:
            organizer = f"{organizer}（联合：{joint}）"
        fig = figures[e.id]
        line = LedgerEvent(e.starts_at, e.title, organizer, venue, e.level, fig.attendances, event_id=e.id,
                           participants=fig.participants, quantities=dict(fig.quantities),
                           checkins=fig.checkins, onsite=fig.onsite, online=fig.online)
        # The same rule as the headline (progress: published and started), so the table adds up to it.
        if e.status == CANCELLED:
            line.status_label, line.cancel_reason = "已取消", e.cancel_reason or ""
            cancelled.append(line)
        elif e.starts_at <= now:
            line.status_label = "已举办"
            held.append(line)
        else:
            line.status_label = "计划中"
            planned.append(line)
    return LedgerData(
        program=program.name, year=program.year, owner=program.organization.name, scope_label=_scope_label(user),
        achieved=overall, targets=_target_lines(program, targets, overall, by_org),
        bars=bars, bar_title=bar_title, bar_is_percent=is_percent, events=held, cancelled=cancelled,
        planned=planned, units=quantity_units([e.id for e in events]),
        compiler=user.organization.name if user.organization else program.organization.name,
        plan_item=program.plan_item, category=program.category,
        lead_departments="、".join(o.name for o in program.lead_departments),
        starts_on=program.starts_on, ends_on=program.ends_on, drafts=drafts,
        pending=pending_by_program([program.id], scope_path=scope).get(program.id, 0),
    )


def program_check_ins_select(program: Program, user: User) -> Select[*tuple[Any, ...]]:
    """Return the statement for program_check_ins (see to_program_check_in)."""
    org = aliased(Organization)
    name, workplace = _given_name_workplace()
    stmt: Select[*tuple[Any, ...]] = (
        select(Event.starts_at, Event.title, org.name, name, Participant.phone, workplace,
               Participant.group, CheckIn.checked_in_at, CheckIn.method, CheckIn.checked_out_at)
        .select_from(CheckIn)
        .join(Event, Event.id == CheckIn.event_id)
        .join(org, org.id == Event.organization_id)
        .join(Participant, Participant.id == CheckIn.participant_id)
        .where(Event.id.in_(select(memberships([program.id]).c.event_id)), Event.status.not_in((DRAFT, CANCELLED)),
               counted_check_in())
        .order_by(Event.starts_at, Event.id, CheckIn.checked_in_at, CheckIn.id)
    )
    if user.scope_path:
        stmt = stmt.where(org.path.startswith(user.scope_path))
    return stmt


def to_program_check_in(line: Any) -> ProgramCheckIn:
    """Turn one result line of program_check_ins_select into a ProgramCheckIn."""
    starts, title, organizer, name, phone, workplace, group, at, method, out = line
    return ProgramCheckIn(starts, title, organizer, RosterRow(name, phone, workplace or "", group or "", at,
                                                              METHOD_LABELS.get(method, method), out))


def program_check_ins(program: Program, user: User) -> list[ProgramCheckIn]:
    """Return every check-in at the program's published events within the user's scope (one query)."""
    return [to_program_check_in(line) for line in db.session.execute(program_check_ins_select(program, user))]


def year_overview(user: User, year: int, *, now: datetime | None = None) -> YearOverview:
    """Collect every visible program of a year with its progress within the user's scope."""
    now = now or utcnow()
    programs = list(db.session.scalars(
        programs_visible_to(user, year).options(selectinload(Program.targets).joinedload(Target.organization),
                                                selectinload(Program.lead_departments))
    ).unique())
    programs.sort(key=lambda p: (_plan_sort_key(p.plan_item), p.id))
    ids = [p.id for p in programs]
    totals = totals_by_program(ids, now=now, scope_path=user.scope_path)
    targets = {p.id: _visible_targets(p, user) for p in programs}
    if not user.scope_path:
        # The overview fits one or two pages: overall targets only; shares are in each ledger.
        targets = {pid: [t for t in ts if t.organization_id is None] for pid, ts in targets.items()}
    share_orgs = sorted({t.organization_id for ts in targets.values() for t in ts if t.organization_id})
    by_org_program = totals_by_subtree(share_orgs, program_ids=ids, now=now, by_program=True) if share_orgs else {}
    overview = YearOverview(year=year, scope_label=_scope_label(user),
                            compiler=user.organization.name if user.organization else "")
    for p in programs:
        by_org = {org_id: by_org_program.get((org_id, p.id), Totals()) for org_id in share_orgs}
        lead = "、".join(o.label for o in p.lead_departments) or p.organization.label
        overview.programs.append(YearProgram(p.name, p.plan_item, lead, totals[p.id],
                                             _target_lines(p, targets[p.id], totals[p.id], by_org)))
    return overview


def _plan_sort_key(plan_item: str) -> tuple[int, str]:
    digits = "".join(ch for ch in plan_item if ch.isdigit())
    return (int(digits) if digits else 10**6, plan_item)
