"""`flask imports …`: housekeeping of stored import previews."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from eventsvc.extensions import db

imports_cli = AppGroup("imports", help="导入预览的维护。")


@imports_cli.command("purge")
def purge() -> None:
    """Delete import previews nobody confirmed before they expired."""
    from eventsvc.imports.operations import purge_expired_previews

    removed = purge_expired_previews()
    db.session.commit()
    click.echo(f"已删除 {removed} 个过期的导入预览。")
