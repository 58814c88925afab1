"""`flask orgs …`: scripted set-up of the unit tree (import a sheet, list the units)."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from eventsvc.core.exceptions import OperationError
from eventsvc.extensions import db

orgs_cli = AppGroup("orgs", help="组织架构：导入与列出。")


@orgs_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="only check the sheet and say what would be added")
def import_units(file: Path, dry_run: bool) -> None:
    """Add the units of an organization sheet (.xlsx) as the system; all rows or none."""
    from eventsvc.imports.kinds import ERROR
    from eventsvc.imports.org_sheet import import_without_preview

    try:
        added, rows = import_without_preview(file.read_bytes(), dry_run=dry_run)
    except OperationError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    for row in rows:
        if row.reason:
            click.echo(f"第 {row.line} 行 {row.name or '（无名称）'}：{row.status_label}：{row.reason}")
    errors = sum(1 for row in rows if row.status == ERROR)
    if errors:
        db.session.rollback()
        raise click.ClickException(f"{errors} 行有误，没有导入任何组织（可导入 {added} 个）。")
    if dry_run:
        click.echo(f"将新增 {added} 个组织（试运行，未写入）。")
        return
    db.session.commit()
    click.echo(f"已新增 {added} 个组织。")


@orgs_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines: one object per unit (id, name, kind, parent, path)")
def list_units(as_json: bool) -> None:
    """Print every unit, parents before children."""
    from eventsvc.orgs.models import Organization

    units = sorted(db.session.scalars(select(Organization)),
                   key=lambda u: [int(p) for p in u.path.strip("/").split("/") if p])
    for unit in units:
        if as_json:
            click.echo(json.dumps({"id": unit.id, "name": unit.name, "kind": unit.kind_label,
                                   "parent": unit.parent.name if unit.parent else None, "path": unit.path,
                                   "is_active": unit.is_active}, ensure_ascii=False))
        else:
            state = "" if unit.is_active else "（已停用）"
            click.echo(f"{'  ' * unit.depth}{unit.name}［{unit.kind_label}］{state}")
