"""Collect the SQL statements an engine runs (cursor events): for tests that count or inspect them."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine
from sqlalchemy import event as sa_event


@contextmanager
def seen_statements(engine: Engine) -> Iterator[list[str]]:
    """Yield a list that receives every statement `engine` runs until the block ends."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    sa_event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        sa_event.remove(engine, "before_cursor_execute", note)
