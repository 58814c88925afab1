"""`flask users …`: account administration from the shell (the system acts; audit entries say so)."""
from __future__ import annotations

import os
from pathlib import Path

import click
from flask.cli import AppGroup

from eventsvc.core.exceptions import OperationError
from eventsvc.extensions import db

users_cli = AppGroup("users", help="工作人员账号管理。")


@users_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="只检查并列出每行的结果，不创建账号")
@click.option("--passwords-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="初始密码表的保存位置（默认：FILE 同目录的 <文件名>-初始密码.xlsx）")
def import_users(file: Path, dry_run: bool, passwords_out: Path | None) -> None:
    """Create the accounts of an account sheet (用户名, 姓名, 手机号, 所属组织, 角色) under the district root."""
    from eventsvc.imports.kinds import ERROR, NEW
    from eventsvc.imports.user_sheet import build_password_sheet, import_without_preview
    from eventsvc.orgs.queries import district_root

    root = district_root()
    if root is None:
        raise click.ClickException("系统中还没有组织，请先导入组织架构或运行 create-admin。")
    try:
        rows, issued = import_without_preview(file.read_bytes(), root, dry_run=dry_run)
    except OperationError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    for row in rows:
        verdict = "将新建" if row.status == NEW else row.status_label
        click.echo(f"第 {row.line} 行  {row.username:<20} {verdict}  {row.reason}".rstrip())
    errors = sum(1 for r in rows if r.status == ERROR)
    if errors:
        db.session.rollback()
        raise click.ClickException(f"有 {errors} 行有误，没有创建任何账号。")
    if dry_run:
        click.echo(f"试运行：将新建 {sum(1 for r in rows if r.status == NEW)} 个账号，未写入。")
        return
    if not issued:
        db.session.commit()
        click.echo("没有需要新建的账号。")
        return
    target = passwords_out or file.with_name(f"{file.stem}-初始密码.xlsx")
    # Written before the commit: if the file cannot be written, no account exists whose password nobody knows.
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(build_password_sheet(issued))
    db.session.commit()
    click.echo(f"已新建 {len(issued)} 个账号。初始密码表：{target}（只此一份，分发后请删除）")
