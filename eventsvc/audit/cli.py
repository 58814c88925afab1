"""`flask audit export` (JSON Lines) and `flask audit purge` (retention)."""
from __future__ import annotations

from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from eventsvc.audit.export import iter_entries, json_lines
from eventsvc.audit.models import AuditEntry
from eventsvc.audit.operations import purge_older_than
from eventsvc.core.timeutil import utcnow
from eventsvc.extensions import db


@click.group("audit")
def audit_cli() -> None:
    """The audit log: export it, or purge entries past the retention period."""


@audit_cli.command("export")
@click.option("--since", "since", default=None, metavar="YYYY-MM-DD", help="entries at or after this day (UTC)")
@click.option("--action", "action", default="", metavar="PREFIX", help='action prefix, e.g. "event." or "checkin.undo"')
@with_appcontext
def export_command(since: str | None, action: str) -> None:
    """Print entries as JSON Lines, oldest first: at, actor, action, object_type, object_id, organization, summary."""
    stmt = select(AuditEntry)
    if since:
        try:
            start = datetime.strptime(since, "%Y-%m-%d")
        except ValueError:
            raise click.BadParameter("日期格式应为 YYYY-MM-DD", param_hint="--since") from None
        stmt = stmt.where(AuditEntry.at >= start)
    if action:
        stmt = stmt.where(AuditEntry.action.startswith(action, autoescape=True))
    for line in json_lines(iter_entries(stmt.order_by(AuditEntry.at, AuditEntry.id))):
        click.echo(line)


@audit_cli.command("purge")
@with_appcontext
def purge_command() -> None:
    """Delete entries older than AUDIT_RETENTION_DAYS; refuses when retention is 0 (keep forever)."""
    days = int(current_app.config.get("AUDIT_RETENTION_DAYS") or 0)
    if days <= 0:
        raise click.ClickException("AUDIT_RETENTION_DAYS 为 0（永久保留），不删除任何操作日志。")
    cutoff = utcnow() - timedelta(days=days)
    removed = purge_older_than(cutoff)
    db.session.commit()
    click.echo(f"已删除 {removed} 条 {days} 天前的操作日志（{cutoff:%Y-%m-%d %H:%M} UTC 之前）。")
