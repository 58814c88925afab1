"""Reads about programs, limited to what a user may see."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select, text

from eventsvc.core.built import everywhere
from eventsvc.extensions import db
from eventsvc.orgs.models import DEPARTMENT, DISTRICT, Organization, User
from eventsvc.programs.models import Program


def programs_visible_to(user: User, year: int | None = None) -> Select[Program]:
    """Select programs the user may see: their subtree's own, plus the district's (every street takes part)."""
    return programs_visible_within(user.scope_path, year)


def programs_visible_within(scope_path: Any, year: Any = None) -> Select[Program]:
    """programs_visible_to for a scope path ("" for everywhere) and a year (None for all), either of them a
    kept statement's parameter (core/built.py)."""
    stmt = select(Program).join(Program.organization)
    if not everywhere(scope_path):
        stmt = stmt.where(or_(
            Organization.path.startswith(scope_path),
            Organization.kind.in_((DISTRICT, DEPARTMENT)),
        ))
    if year is not None:
        stmt = stmt.where(Program.year == year)
    return stmt.order_by(Program.year.desc(), Program.plan_item, Program.id)


def can_see_program(user: User, program: Program) -> bool:
    """Tell whether the program is visible to the user (see programs_visible_to)."""
    return user.reaches(program.organization) or program.organization.kind in (DISTRICT, DEPARTMENT)


def get_program_for(user: User, program_id: int) -> Program | None:
    """Return the program if it exists and is visible to the user."""
    program = db.session.get(Program, program_id)
    if program is None or not can_see_program(user, program):
        return None
    return program


def years_with_programs() -> list[int]:
    """Return the years that have programs, newest first."""
    return list(db.session.scalars(select(Program.year).distinct().order_by(Program.year.desc())))


def event_count(program: Program) -> int:
    """Count the program's events (raw SQL: programs/ sits below events/ and cannot import it)."""
    return db.session.scalar(text("SELECT count(*) FROM event WHERE program_id = :p"), {"p": program.id}) or 0
