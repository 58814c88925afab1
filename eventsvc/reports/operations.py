"""State changes of the reports module: importing paper sign-in sheets."""
from __future__ import annotations

from typing import Sequence

from eventsvc.checkin.models import IMPORT
from eventsvc.checkin.operations import check_in, upsert_participant
from eventsvc.core.exceptions import OperationError
from eventsvc.core.timeutil import utcnow
from eventsvc.events.models import CANCELLED, Event
from eventsvc.extensions import db
from eventsvc.orgs.models import User
from eventsvc.reports.xlsx_import import NEW, ImportRow


def check_can_import(event: Event, by: User) -> None:
    """Raise OperationError unless `by` may import check-ins into the event now."""
    if not by.can_manage or not by.reaches(event.organization):
        raise OperationError("您无权为该活动导入签到", code="forbidden")
    if event.status == CANCELLED:
        raise OperationError("活动已取消，不能导入签到", code="cancelled")
    if event.starts_at > utcnow():
        raise OperationError("活动尚未开始，不能导入纸质签到记录", code="not_started")


def _begin_transaction() -> None:
    """Open the database transaction now, so the operations' savepoints nest inside it.

    Python's sqlite3 driver starts a transaction only before its first INSERT/UPDATE; a SAVEPOINT
    issued earlier becomes the outermost one and its RELEASE commits at once, which would keep
    the first rows of a failed import. PostgreSQL (and an engine already in a transaction) need nothing.
    """
    conn = db.session.connection()
    if conn.dialect.name != "sqlite":
        return
    raw = conn.connection.dbapi_connection
    if raw is not None and not getattr(raw, "in_transaction", True):
        conn.exec_driver_sql("BEGIN")


def import_check_ins(event: Event, rows: Sequence[ImportRow], *, by: User) -> int:
    """Add the new rows as check-ins (method IMPORT) in the caller's transaction; return how many were added.

    Nothing is committed here: the view commits once, or rolls the whole import back if anything fails.
    """
    check_can_import(event, by)
    _begin_transaction()
    added = 0
    for row in rows:
        if row.status != NEW:
            continue
        participant = upsert_participant(row.name, row.phone, row.workplace, row.group, by=by)
        result = check_in(event, participant, by=by, method=IMPORT, at=row.at, enforce_window=False)
        added += int(result.created)
    db.session.flush()
    return added
