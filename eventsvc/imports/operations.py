"""State changes of the import flow: store a preview, confirm it (all rows or none), purge expired ones."""
from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, delete

from eventsvc.audit.operations import record as audit
from eventsvc.core.exceptions import OperationError
from eventsvc.core.timeutil import utcnow
from eventsvc.db import savepoint
from eventsvc.extensions import db
from eventsvc.imports.kinds import ImportKind, Verdict, count_statuses
from eventsvc.imports.models import ImportPreview
from eventsvc.orgs.models import User

PREVIEW_TTL = timedelta(hours=24)
PREVIEW_GONE = "导入预览已失效，请重新上传文件。"

T = TypeVar("T")


class PreviewGone(OperationError):
    """The preview expired, was confirmed already, or belongs to someone else."""

    def __init__(self) -> None:
        super().__init__(PREVIEW_GONE, code="preview_gone")


@dataclass
class Preview:
    """A stored preview and what confirming it would do with each row."""

    record: ImportPreview
    verdicts: list[Verdict]

    @property
    def counts(self) -> dict[str, int]:
        return count_statuses(self.verdicts)


@dataclass
class Confirmed:
    added: int
    counts: dict[str, int]

    @property
    def skipped(self) -> int:
        return sum(self.counts.values()) - self.counts["new"]


def purge_expired_previews(*, now: datetime | None = None) -> int:
    """Delete previews past their expiry and return how many (housekeeping done by the system, no actor)."""
    stmt = delete(ImportPreview).where(ImportPreview.expires_at <= (now or utcnow()))
    result = cast(CursorResult[Any], db.session.execute(stmt.execution_options(synchronize_session=False)))
    return result.rowcount or 0


def preview_import(
    kind: ImportKind[T], target: T, object_id: int, data: bytes, *, by: User, filename: str = ""
) -> Preview:
    """Parse an upload, store its rows as a preview only `by` can confirm, and classify them; write nothing else."""
    kind.check_allowed(target, by)
    rows = kind.parse(data)
    purge_expired_previews()
    now = utcnow()
    record = ImportPreview(
        token=secrets.token_urlsafe(24), kind=kind.name, object_id=object_id, created_by_id=by.id,
        created_at=now, expires_at=now + PREVIEW_TTL, filename=filename[:200], payload={"rows": rows},
    )
    db.session.add(record)
    db.session.flush()
    return Preview(record, kind.classify(target, rows))


def classify_preview(kind: ImportKind[T], target: T, record: ImportPreview) -> list[Verdict]:
    """Classify a stored preview's rows against the database as it is now."""
    return kind.classify(target, cast(Sequence[dict[str, Any]], record.payload.get("rows", [])))


def confirm_import(kind: ImportKind[T], target: T, object_id: int, record: ImportPreview, *, by: User) -> Confirmed:
    """Write the preview's new rows and consume the preview, in the caller's transaction: all or nothing.

    Rows are classified again first (someone may have scanned in meanwhile). Any failure raises and leaves
    nothing written; the view rolls back and the preview survives for a retry.
    """
    if (record.kind != kind.name or record.object_id != object_id or record.created_by_id != by.id
            or record.expires_at <= utcnow()):
        raise PreviewGone()
    kind.check_allowed(target, by)
    verdicts = classify_preview(kind, target, record)
    # One savepoint around every row: a failing row undoes the rows before it, on SQLite too.
    with savepoint(db.session()):
        added = kind.apply(target, verdicts, by=by)
        db.session.delete(record)
    confirmed = Confirmed(added, count_statuses(verdicts))
    # One entry for the whole file: the rows it wrote are not audited one by one.
    filename = record.filename or "未命名"
    audit(by, "import.confirm", target, object_id=object_id,
          summary=f"确认导入{kind.label}：新增 {added} 条，跳过 {confirmed.skipped} 条（文件：{filename}）",
          changes={"kind": kind.name, "added": added, "skipped": confirmed.skipped, "filename": record.filename})
    db.session.flush()
    return confirmed
