"""`flask plan import FILE --year YYYY [--dry-run] [--json]` and `flask plan alias add SHORT FULL`.

`--json` prints the parsed plan and `--dry-run` lists the programs and targets an import would create; neither
writes. Without them, inside the app (`flask --app eventsvc plan import …`) the plan is imported through the
same code as the web page (`plan_import.apply_plan`, as the system); outside an app it refuses.
Inside the app the unit directory comes from the organization tree and the alias table.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import has_app_context

from eventsvc.core.exceptions import OperationError
from eventsvc.imports.plan_parser import Plan, parse_plan_file
from eventsvc.imports.plan_units import UnitDirectory, default_directory

if TYPE_CHECKING:
    from eventsvc.imports.plan_import import PlanContext

METRIC_NAMES = {"sessions": "场次", "attendances": "人次", "participants": "人数", "quantity": "数量",
                "amount": "金额", "rate": "比率", "outcome": "填报成果"}

# The app may swap this for one that reads the organization tree (UnitDirectory.from_organizations).
directory_factory: Callable[[], UnitDirectory] = default_directory


@click.group("plan", help="年度工作要点：导入与检查")
def plan() -> None:
    """Commands for the year's work plan (工作要点)."""


@plan.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--year", type=int, default=None, help="plan year; read from the title when omitted")
@click.option("--dry-run", is_flag=True, help="list what would be created, change nothing")
@click.option("--json", "as_json", is_flag=True, help="print the parsed plan as one JSON document")
def import_plan(file: Path, year: int | None, dry_run: bool, as_json: bool) -> None:
    """Parse FILE (.docx, .txt, .md) into programs with lead units, participants and targets."""
    context = _app_context()
    try:
        parsed = parse_plan_file(file, year, context.directory if context else directory_factory())
    except (ValueError, OSError) as exc:  # unsupported type, damaged .docx, unreadable file
        raise click.ClickException(str(exc)) from None
    if parsed.year is None:
        raise click.ClickException("未能从标题识别年份，请用 --year 指定")
    if as_json:
        click.echo(parsed.to_json(indent=2))
        return
    if dry_run:
        click.echo(render_dry_run(parsed))
        return
    if context is None:
        raise click.UsageError("只有在应用中（flask --app eventsvc plan import …）且已建立区总工会时才能写入；"
                               "可先用 --dry-run 或 --json 检查解析结果")
    _write(parsed, context)


def _app_context() -> PlanContext | None:
    """The organization tree's directory inside an app that has a district, else None (DESIGN.md's units)."""
    if not has_app_context():
        return None
    from sqlalchemy.exc import SQLAlchemyError

    from eventsvc.extensions import db
    from eventsvc.imports.plan_import import plan_context

    try:
        return plan_context()
    except (OperationError, SQLAlchemyError):  # no district (or no tables) yet: parsing still works
        db.session.rollback()
        return None


def _write(parsed: Plan, context: PlanContext) -> None:
    from eventsvc.extensions import db
    from eventsvc.imports.plan_import import apply_plan, plan_payload

    try:
        result = apply_plan(plan_payload(parsed, context), context, by=None)
        db.session.commit()
    except OperationError as exc:
        db.session.rollback()
        raise click.ClickException(f"导入失败，未写入任何项目：{exc.message}") from None
    click.echo(f"已导入 {parsed.year} 年工作要点：{result.summary}")
    for line in result.skipped_targets:
        click.echo(f"  跳过：{line}")


@plan.group("alias")
def alias() -> None:
    """Unit aliases the plans use (权益部 = 权益保障部)."""


@alias.command("add")
@click.argument("short")
@click.argument("full")
def alias_add(short: str, full: str) -> None:
    """Make SHORT stand for the unit FULL (its full name, short name or an existing alias)."""
    from eventsvc.extensions import db
    from eventsvc.imports.plan_aliases import add_alias

    context = _app_context()
    if context is None:
        raise click.UsageError("请在已建立区总工会的应用中运行：flask --app eventsvc plan alias add 简称 全称")
    unit = context.units.get(context.directory.resolve(full) or "")
    if unit is None:
        raise click.ClickException(f"找不到单位“{full}”（区总工会各部室、各街道总工会和区直管单位）")
    try:
        add_alias(short, unit, by=None)
        db.session.commit()
    except OperationError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"已添加别名：{short.strip()} = {unit.name}")


@alias.command("list")
def alias_list() -> None:
    """Print the alias table (built-in and added)."""
    context = _app_context()
    directory = context.directory if context else directory_factory()
    for short, full in sorted(directory.aliases.items()):
        click.echo(f"{short} = {full}")


def render_dry_run(parsed: Plan) -> str:
    """Plain-text list of the programs an import would create, for a person to check."""
    lines = [f"{parsed.year} 年工作要点：{len(parsed.items)} 个条目，{parsed.figures} 个目标数字（仅预览，未写入）"]
    lines.extend(f"! {w}" for w in parsed.warnings)
    for item in parsed.items:
        lines.append(f"[{item.number}] {item.title}")
        lines.append(f"    牵头：{'、'.join(item.lead) or '（未识别）'}；参与：{len(item.participants)} 个单位")
        if not item.targets:
            lines.append("    无量化目标")
        for target in item.targets:
            where = f"（{target.organization}）" if target.organization else ""
            level = f"{target.level} " if target.level else ""
            lines.append(f"    目标：{level}{target.value} {target.unit} · {METRIC_NAMES[target.metric]}{where}"
                         f" ← “{target.text}”")
        lines.extend(f"    ! {w}" for w in item.warnings)
    return "\n".join(lines)
