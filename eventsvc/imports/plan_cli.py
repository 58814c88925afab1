"""`flask plan import FILE --year YYYY [--dry-run] [--json]`: the work-plan parser from the command line.

Only the reading side lives here: `--json` prints the parsed plan, `--dry-run` lists the programs and targets an
import would create. Writing programs is the import operation's job (wired by the app), so without either
flag the command refuses instead of pretending.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from eventsvc.imports.plan_parser import Plan, parse_plan_file
from eventsvc.imports.plan_units import UnitDirectory, default_directory

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
    try:
        parsed = parse_plan_file(file, year, directory_factory())
    except (ValueError, OSError) as exc:  # unsupported type, damaged .docx, unreadable file
        raise click.ClickException(str(exc)) from None
    if parsed.year is None:
        raise click.ClickException("未能从标题识别年份，请用 --year 指定")
    if as_json:
        click.echo(parsed.to_json(indent=2))
        return
    if not dry_run:
        raise click.UsageError("写入数据库的导入尚未接入；请先用 --dry-run 或 --json 检查解析结果")
    click.echo(render_dry_run(parsed))


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
