"""The audit log out of the application: an xlsx of the page's list, JSON Lines for the CLI."""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from sqlalchemy import Select
from sqlalchemy.orm import joinedload

from eventsvc.audit.models import ACTOR_USER, ACTOR_WORKER, AuditEntry
from eventsvc.core.textsafe import neutralize_cell
from eventsvc.core.timeutil import fmt_local
from eventsvc.extensions import db

BATCH = 1000
XLSX_COLUMNS = (("时间", 18), ("操作人", 16), ("操作", 22), ("对象类型", 12), ("对象编号", 10), ("所属单位", 24),
                ("摘要", 60), ("变更", 60))


def iter_entries(stmt: Select[AuditEntry], *, batch: int = BATCH) -> Iterator[AuditEntry]:
    """Yield the entries a query selects, fetched `batch` at a time (an export may hold the whole log)."""
    stmt = stmt.options(joinedload(AuditEntry.organization)).execution_options(yield_per=batch)
    yield from db.session.scalars(stmt)


def actor_text(entry: AuditEntry) -> str:
    """Who acted, in one string: the username, "system", or "worker:<device hash>"."""
    if entry.actor_kind == ACTOR_USER:
        return entry.actor_name
    if entry.actor_kind == ACTOR_WORKER:
        return f"worker:{entry.device_hash}" if entry.device_hash else "worker"
    return "system"


def entry_dict(entry: AuditEntry) -> dict[str, Any]:
    """One entry as a JSON object (times in UTC, ISO 8601)."""
    return {
        "id": entry.id,
        "at": entry.at.isoformat(timespec="seconds") + "Z",
        "actor": actor_text(entry),
        "actor_kind": entry.actor_kind,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "organization": entry.organization.name if entry.organization else None,
        "organization_id": entry.organization_id,
        "summary": entry.summary,
        "changes": entry.changes,
    }


def json_lines(entries: Iterable[AuditEntry]) -> Iterator[str]:
    """Yield one JSON document per entry (no newline: the caller adds it)."""
    for entry in entries:
        yield json.dumps(entry_dict(entry), ensure_ascii=False, sort_keys=True)


def write_entries_xlsx(out: IO[bytes], entries: Iterable[AuditEntry]) -> None:
    """Write the entries into a write-only workbook (constant memory), text cells neutralized."""
    from openpyxl import Workbook  # here, not at module level: workers that never export need not load it

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("操作日志")
    for index, (_, width) in enumerate(XLSX_COLUMNS):
        ws.column_dimensions[chr(ord("A") + index)].width = width
    ws.append([title for title, _ in XLSX_COLUMNS])
    for e in entries:
        changes = json.dumps(e.changes, ensure_ascii=False) if e.changes else ""
        ws.append([
            fmt_local(e.at, "%Y-%m-%d %H:%M:%S"), neutralize_cell(e.actor_label if e.actor_kind != ACTOR_WORKER
                                                                  else actor_text(e)),
            neutralize_cell(e.action), neutralize_cell(e.object_type), e.object_id,
            neutralize_cell(e.organization.name if e.organization else ""), neutralize_cell(e.summary),
            neutralize_cell(changes),
        ])
    wb.save(out)
