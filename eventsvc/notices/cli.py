"""`flask notices deliver | schedule | stop`: the outbox worker, the reminder timer, replies entered by staff."""
from __future__ import annotations

import signal
import threading
from types import FrameType

import click
from flask import current_app
from flask.cli import AppGroup

from eventsvc.core.phones import InvalidPhone, normalize_phone
from eventsvc.core.sms import get_sms_sender
from eventsvc.extensions import db
from eventsvc.notices.delivery import Delivered, deliver_due, run_worker
from eventsvc.notices.operations import schedule_reminders, stop_reminders

notices_cli = AppGroup("notices", help="SMS notices: deliver the outbox, schedule reminders.")


def _deliver_once() -> Delivered:
    config = current_app.config
    return deliver_due(get_sms_sender(current_app), limit=int(config["NOTICE_BATCH_SIZE"]),
                       max_attempts=int(config["NOTICE_MAX_ATTEMPTS"]),
                       retry_seconds=int(config["NOTICE_RETRY_SECONDS"]))


@notices_cli.command("deliver")
@click.option("--once", is_flag=True, help="one pass over the due notices, then exit (tests, cron)")
def deliver(once: bool) -> None:
    """Send pending notices; without --once keep running until SIGTERM/SIGINT."""
    if once:
        done = _deliver_once()
        click.echo(f"已发送 {done.sent} 条，待重试 {done.retried} 条，失败 {done.failed} 条，未发送 {done.skipped} 条")
        return
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()  # also wakes the idle wait at once

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo("短信通知发送进程已启动（Ctrl+C 停止）")
    run_worker(_deliver_once, idle_seconds=float(current_app.config["NOTICE_POLL_SECONDS"]),
               should_stop=stopping.is_set, sleep=stopping.wait)
    click.echo("短信通知发送进程已停止")


@notices_cli.command("schedule")
def schedule() -> None:
    """Write tomorrow's reminders (run daily by a timer; running twice adds nothing)."""
    added = schedule_reminders()
    db.session.commit()
    click.echo(f"已安排明日活动提醒 {added} 条")


@notices_cli.command("stop")
@click.argument("phone")
def stop_by_reply(phone: str) -> None:
    """Record a worker's reply asking for no more reminders (e.g. 回复 TD 退订)."""
    try:
        number = normalize_phone(phone)
    except InvalidPhone as exc:
        raise click.ClickException(str(exc)) from None
    changed = stop_reminders(number, via="reply")
    db.session.commit()
    click.echo("已退订活动提醒" if changed else "该号码此前已退订")
