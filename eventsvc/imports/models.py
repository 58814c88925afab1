"""A parsed upload waiting between its preview and its confirmation."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from eventsvc.core.timeutil import utcnow
from eventsvc.db import Base


class ImportPreview(Base):
    """Rows parsed from an upload, kept in the database (they hold personal data, never plain files).

    Only its creator may confirm it, for the same kind and target object, until `expires_at`;
    confirming deletes it in the same transaction that writes the rows.
    """

    __tablename__ = "import_preview"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    # The object the rows go into (an event for sign-in sheets); its table depends on the kind.
    object_id: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    filename: Mapped[str] = mapped_column(String(200), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
