"""`flask privacy …`: the daily retention purge, and export/erase of one person on request."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from eventsvc.checkin.models import Participant
from eventsvc.checkin.queries import find_participant
from eventsvc.core.exceptions import OperationError
from eventsvc.core.phones import mask_phone
from eventsvc.extensions import db
from eventsvc.orgs.models import User
from eventsvc.privacy.export import person_data, person_json, person_xlsx
from eventsvc.privacy.operations import PurgeResult, erase_person, note_export, purge_inactive

privacy_cli = AppGroup("privacy", help="个人信息保留期与删除（PIPL）")


def _admin(username: str) -> User:
    user: User | None = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"没有用户 {username}")
    return user


def _person(phone: str) -> Participant:
    person = find_participant(phone)
    if person is None:
        raise click.ClickException(f"没有手机号为 {mask_phone(phone)} 的职工")
    return person


@privacy_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="只显示将匿名化多少人，不做修改")
@click.option("--days", type=click.IntRange(min=1), default=None, help="无活动天数（默认 PRIVACY_RETENTION_DAYS）")
def purge(dry_run: bool, days: int | None) -> None:
    """Anonymize workers with no activity for the retention period (run daily by a timer)."""
    days = days or int(current_app.config.get("PRIVACY_RETENTION_DAYS", 1095))
    try:
        result = purge_inactive(days, dry_run=dry_run)
    except OperationError as exc:
        raise click.ClickException(exc.message) from None
    if dry_run:
        db.session.rollback()
        click.echo(f"[演练] 将匿名化 {result.count} 名自 {result.cutoff:%Y-%m-%d} 起无活动的职工（未做修改）。")
        if result.participant_ids:
            click.echo("  职工编号：" + ", ".join(str(i) for i in result.participant_ids[:50])
                       + (" …" if result.count > 50 else ""))
        click.echo(f"[演练] 将：{_traces(result)}（未做修改）")
        return
    db.session.commit()
    click.echo(f"已匿名化 {result.count} 名自 {result.cutoff:%Y-%m-%d} 起无活动的职工；签到记录与统计不变。")
    click.echo(_traces(result))


def _traces(result: PurgeResult) -> str:
    t = result.traces
    return (f"短信记录隐去手机号 {t.notices} 条；删除无主的停止提醒 {t.opt_outs} 条、过期验证码 {t.codes} 条、"
            f"过期导入预览 {t.previews} 份。")


@privacy_cli.command("export")
@click.argument("phone")
@click.option("--by", "username", required=True, help="执行导出的管理员用户名（记入审计日志）")
@click.option("--format", "fmt", type=click.Choice(["json", "xlsx"]), default="json", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def export(phone: str, username: str, fmt: str, output: Path) -> None:
    """Export everything stored about one worker (an access request)."""
    person = _person(phone)
    try:
        note_export(person, by=_admin(username), fmt=fmt)
    except OperationError as exc:
        raise click.ClickException(exc.message) from None
    data = person_data(person)
    output.write_bytes(person_json(data) if fmt == "json" else person_xlsx(data))
    db.session.commit()
    click.echo(f"已导出到 {output}")


@privacy_cli.command("erase")
@click.argument("phone")
@click.option("--by", "username", required=True, help="执行删除的管理员用户名（记入审计日志）")
@click.option("--reason", default="", help="申请说明")
@click.option("--yes", is_flag=True, help="不再询问确认")
def erase(phone: str, username: str, reason: str, yes: bool) -> None:
    """Erase one worker's personal data on request; their check-ins stay counted, anonymized."""
    person = _person(phone)
    if not yes:
        click.confirm(f"确认删除 {mask_phone(phone)} 的个人信息？此操作不可恢复", abort=True)
    try:
        erase_person(person, by=_admin(username), reason=reason)
    except OperationError as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"已删除职工 #{person.id} 的个人信息（签到记录保留为“已匿名”）。")
