"""Evidence kept per event (or per station): photos and documents (the files live in storage), and the
活动总结 text of an event."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsvc.core.timeutil import utcnow
from eventsvc.db import Base, one_of
from eventsvc.events.models import Event
from eventsvc.orgs.models import User

if TYPE_CHECKING:  # stations import events, never the reverse: the relationship is resolved by name
    from eventsvc.stations.models import Station

PHOTO = "photo"
DOCUMENT = "document"
KIND_LABELS = {PHOTO: "照片", DOCUMENT: "文档"}


class EventAttachment(Base):
    """One uploaded file of an event or of a station (exactly one of the two); `storage_key` / `thumb_key`
    name blobs in the storage backend."""

    __tablename__ = "event_attachment"
    __table_args__ = (
        one_of("kind", KIND_LABELS),
        CheckConstraint("(event_id IS NULL) <> (station_id IS NULL)", name="one_owner"),
        # At most one cover photo per event, whatever a race between two browsers does.
        Index("uq_event_attachment_cover", "event_id", unique=True,
              sqlite_where=text("is_cover"), postgresql_where=text("is_cover")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("station.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    storage_key: Mapped[str] = mapped_column(String(256), unique=True)
    thumb_key: Mapped[str | None] = mapped_column(String(256))
    content_type: Mapped[str] = mapped_column(String(100))
    original_name: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime)  # UTC, from the photo's EXIF
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    is_cover: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    caption: Mapped[str] = mapped_column(String(100), default="", server_default="")

    event: Mapped[Event | None] = relationship()
    station: Mapped[Station | None] = relationship("Station")
    uploaded_by: Mapped[User | None] = relationship()

    @property
    def organization(self) -> object:
        """The owner's unit (the event's or the station's): scope checks and audit entries go by it."""
        owner = self.event if self.event is not None else self.station
        assert owner is not None  # the one_owner constraint
        return owner.organization

    @property
    def is_photo(self) -> bool:
        return self.kind == PHOTO

    @property
    def label(self) -> str:
        """Name the file in audit summaries and confirmations."""
        return self.caption or self.original_name


class EventSummary(Base):
    """The 活动总结 of an event: free text; its figures stay on the event (现场人数, 线上人次, quantities)."""

    __tablename__ = "event_summary"

    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
    text: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    event: Mapped[Event] = relationship()
