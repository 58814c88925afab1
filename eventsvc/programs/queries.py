"""Reads about programs, limited to what a user may see."""
from __future__ import annotations

from sqlalchemy import Select, or_, select, text

from eventsvc.extensions import db
from eventsvc.orgs.models import DEPARTMENT, DISTRICT, Organization, User
from eventsvc.programs.models import Program


def programs_visible_to(user: User, year: int | None = None) -> Select[Program]:
    """Select programs the user may see: their subtree's own, plus the district's (every street takes part)."""
    stmt = select(Program).join(Program.organization)
    if user.scope_path:
        stmt = stmt.where(or_(
            Organization.path.startswith(user.scope_path),
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
